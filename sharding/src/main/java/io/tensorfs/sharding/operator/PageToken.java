package io.tensorfs.sharding.operator;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The continuation token of a paged listing, as every edge hands it to clients: the base64url (no padding)
 * of the UTF-8 bytes of the last name a page read. Clients treat it as opaque. Stateless.
 */
public final class PageToken {
  private PageToken() {}

  public static String of(String lastName) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(lastName.getBytes(StandardCharsets.UTF_8));
  }

  /** The name a token stands for; null for a null or empty token (the first page); BAD_REQUEST when garbled. */
  public static String nameOf(String token) {
    if (token == null || token.isEmpty()) return null;
    try {
      byte[] raw = Base64.getUrlDecoder().decode(token);
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw)).toString();
    } catch (IllegalArgumentException | CharacterCodingException e) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "not a page token of this listing: " + token);
    }
  }
}
