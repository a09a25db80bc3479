package io.tensorfs.gateway.s3.internal;

/**
 * Writes S3's XML answers: elements appended in order, text escaped. Not thread-safe; one per answer.
 */
final class Xml {
  static final String NS = "http://s3.amazonaws.com/doc/2006-03-01/";
  private final StringBuilder out = new StringBuilder(256).append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");

  /** Opens the root element {@code name} in S3's namespace. */
  static Xml root(String name) {
    Xml x = new Xml();
    x.out.append('<').append(name).append(" xmlns=\"").append(NS).append("\">");
    return x;
  }

  /** A document whose root carries no namespace (S3's errors). */
  static Xml plainRoot(String name) {
    Xml x = new Xml();
    x.out.append('<').append(name).append('>');
    return x;
  }

  Xml open(String name) {
    out.append('<').append(name).append('>');
    return this;
  }

  Xml close(String name) {
    out.append("</").append(name).append('>');
    return this;
  }

  Xml element(String name, Object text) {
    out.append('<').append(name).append('>');
    escape(String.valueOf(text));
    out.append("</").append(name).append('>');
    return this;
  }

  String end(String root) {
    close(root);
    return out.toString();
  }

  private void escape(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&apos;");
        default -> {
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') out.append("&#x").append(Integer.toHexString(c)).append(';');
          else out.append(c);
        }
      }
    }
  }
}
