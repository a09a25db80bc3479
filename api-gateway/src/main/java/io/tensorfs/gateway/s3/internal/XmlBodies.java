package io.tensorfs.gateway.s3.internal;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Reads the XML bodies clients send (CompleteMultipartUpload, Delete), with DTDs and external entities
 * refused. Stateless.
 */
final class XmlBodies {
  /** One {@code <Part>} of a CompleteMultipartUpload. */
  record PartRef(int number, String etag) {}

  /** One {@code <Object>} of a Delete. */
  record ObjectRef(String key, String versionId) {}

  private XmlBodies() {}

  static List<PartRef> completeParts(byte[] body) {
    Element root = parse(body);
    if (!root.getLocalName().equals("CompleteMultipartUpload")) throw S3Exception.malformedXml("not a CompleteMultipartUpload");
    List<PartRef> parts = new ArrayList<>();
    for (Element p : children(root, "Part")) {
      String number = text(p, "PartNumber");
      String etag = text(p, "ETag");
      if (number == null || etag == null) throw S3Exception.malformedXml("a Part needs PartNumber and ETag");
      try {
        parts.add(new PartRef(Integer.parseInt(number.strip()), unquote(etag.strip())));
      } catch (NumberFormatException e) {
        throw S3Exception.malformedXml("PartNumber is not a number");
      }
    }
    if (parts.isEmpty()) throw S3Exception.malformedXml("no Part");
    return parts;
  }

  /** The objects of a Delete, and whether it is quiet. */
  record DeleteRequest(List<ObjectRef> objects, boolean quiet) {}

  static DeleteRequest delete(byte[] body) {
    Element root = parse(body);
    if (!root.getLocalName().equals("Delete")) throw S3Exception.malformedXml("not a Delete");
    List<ObjectRef> objects = new ArrayList<>();
    for (Element o : children(root, "Object")) {
      String key = text(o, "Key");
      if (key == null) throw S3Exception.malformedXml("an Object needs a Key");
      objects.add(new ObjectRef(key, text(o, "VersionId")));
    }
    if (objects.size() > 1000) throw S3Exception.malformedXml("at most 1000 objects per Delete");
    String quiet = text(root, "Quiet");
    return new DeleteRequest(objects, quiet != null && quiet.strip().equalsIgnoreCase("true"));
  }

  static String unquote(String etag) {
    String e = etag;
    if (e.startsWith("&quot;")) e = e.substring(6);
    if (e.endsWith("&quot;")) e = e.substring(0, e.length() - 6);
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
    return e;
  }

  private static Element parse(byte[] body) {
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setNamespaceAware(true);
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setExpandEntityReferences(false);
      DocumentBuilder b = f.newDocumentBuilder();
      b.setErrorHandler(null);
      Document d = b.parse(new ByteArrayInputStream(body));
      return d.getDocumentElement();
    } catch (Exception e) {
      throw S3Exception.malformedXml(e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node n = nodes.item(i);
      if (n instanceof Element e && name.equals(e.getLocalName())) out.add(e);
    }
    return out;
  }

  private static String text(Element parent, String name) {
    List<Element> c = children(parent, name);
    return c.isEmpty() ? null : c.get(0).getTextContent();
  }
}
