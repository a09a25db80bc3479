package io.tensorfs.gateway.s3.internal;

import java.util.Comparator;

/**
 * S3's key order: bytewise over the keys' UTF-8, which is Unicode code point order (Java's
 * {@code String.compareTo} orders UTF-16 units, which differs for characters beyond the BMP). Stateless.
 */
final class KeyOrder {
  static final Comparator<String> BYTEWISE = KeyOrder::compare;

  private KeyOrder() {}

  static int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) return Integer.compare(ca, cb);
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
