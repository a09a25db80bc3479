package io.tensorfs.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.HttpEntity;
import org.junit.jupiter.api.Test;

class ConsoleRoutesTest {
  private final ConsoleRoutes console = new ConsoleRoutes();

  @Test
  void shouldServeThePageAndItsAssetsFromTheJar() {
    HttpResponse page = console.route(HttpRequest.GET("/console/"), "/console/");
    assertEquals(200, page.status().intValue());
    assertEquals("text/html; charset=UTF-8", page.entity().getContentType().toString());
    assertTrue(body(page).contains("<script src=\"console.js\">"), "the page loads its script from the node");
    HttpResponse script = console.route(HttpRequest.GET("/console/console.js"), "/console/console.js");
    assertEquals(200, script.status().intValue());
    assertTrue(body(script).contains("sessionStorage"), "the token is kept for the browser session");
    assertEquals(200, console.route(HttpRequest.GET("/console/console.css"), "/console/console.css").status().intValue());
  }

  @Test
  void shouldRedirectTheBarePathToTheFolder() {
    HttpResponse r = console.route(HttpRequest.GET("/console"), "/console");
    assertEquals(301, r.status().intValue());
    assertEquals("/console/", r.getHeader("Location").orElseThrow().value());
  }

  @Test
  void shouldServeNothingButThePlainNamesOfItsFolder() {
    for (String path : new String[] {"/console/../reference.conf", "/console/%2e%2e/reference.conf",
        "/console/sub/console.js", "/console/missing.js", "/console/reference.conf", "/console/.hidden.js"}) {
      assertEquals(404, console.route(HttpRequest.GET("/x"), path).status().intValue(), path);
    }
  }

  @Test
  void shouldRefuseWritesToTheConsole() {
    assertEquals(405, console.route(HttpRequest.POST("/console/"), "/console/").status().intValue());
  }

  private static String body(HttpResponse r) {
    return ((HttpEntity.Strict) r.entity()).getData().utf8String();
  }
}
