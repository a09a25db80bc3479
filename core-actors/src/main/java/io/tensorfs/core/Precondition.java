package io.tensorfs.core;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * RFC 9110 preconditions on a path's current version: {@code If-Match} and {@code If-None-Match}. A
 * version's entity tag is its number in decimal ({@code "7"}), strong, and never reused for a path, so
 * a tag is compared with {@link Long#toString(long)} of the version, character for character. An
 * element that is no version number (another server's tag, or a weak tag kept for a strong
 * comparison, written {@code W/"7"}) matches nothing. {@link #ANY} ({@code *}) stands alone in its list.
 * An empty list sets no condition. Immutable; travels in entity commands (CBOR), used on any thread.
 *
 * @param ifMatch     the request goes ahead only if the current version is one of these; {@code *}: if
 *                    the path has a version
 * @param ifNoneMatch the request goes ahead only if the current version is none of these; {@code *}: if
 *                    the path has no version
 */
public record Precondition(List<String> ifMatch, List<String> ifNoneMatch) implements CborSerializable {
  /** The tag that matches any current version. */
  public static final String ANY = "*";

  /** No condition. */
  public static final Precondition NONE = new Precondition(List.of(), List.of());

  /** Create only: {@code If-None-Match: *}, the path must have no version. */
  public static final Precondition CREATE_ONLY = new Precondition(List.of(), List.of(ANY));

  /** Why a precondition does not hold. */
  public enum Outcome {
    HOLDS,
    /** No tag of {@code If-Match} matches: 412 on every method. */
    IF_MATCH_FAILED,
    /** A tag of {@code If-None-Match} matches: 304 on GET and HEAD, 412 on the others. */
    IF_NONE_MATCH_FAILED
  }

  /** @throws TfsException BAD_REQUEST for an empty tag, or {@code *} together with tags */
  public Precondition {
    ifMatch = checked("If-Match", ifMatch);
    ifNoneMatch = checked("If-None-Match", ifNoneMatch);
  }

  private static List<String> checked(String name, List<String> tags) {
    if (tags == null) return List.of();
    List<String> copy = List.copyOf(tags);
    for (String tag : copy) {
      if (tag.isEmpty()) throw new TfsException(ErrorCode.BAD_REQUEST, name + " holds an empty entity tag");
      if (tag.equals(ANY) && copy.size() > 1) {
        throw new TfsException(ErrorCode.BAD_REQUEST, name + ": * stands alone, not in a list of entity tags");
      }
    }
    return copy;
  }

  /** The current version must be {@code version}: optimistic concurrency for a read-modify-write. */
  public static Precondition ifMatch(long version) {
    return new Precondition(List.of(Long.toString(version)), List.of());
  }

  /** Whether this sets no condition at all. */
  public boolean unconditional() {
    return ifMatch.isEmpty() && ifNoneMatch.isEmpty();
  }

  /**
   * Evaluates the conditions in RFC 9110's order (13.2.2: If-Match first) against the path's current
   * version, empty when it has none.
   */
  public Outcome evaluate(OptionalLong current) {
    if (!ifMatch.isEmpty() && !matches(ifMatch, current)) return Outcome.IF_MATCH_FAILED;
    if (!ifNoneMatch.isEmpty() && matches(ifNoneMatch, current)) return Outcome.IF_NONE_MATCH_FAILED;
    return Outcome.HOLDS;
  }

  /** Empty when the conditions hold on {@code current}; else why not, naming the current version. */
  public Optional<String> failure(TfsPath path, OptionalLong current) {
    return switch (evaluate(current)) {
      case HOLDS -> Optional.empty();
      case IF_MATCH_FAILED -> Optional.of(current.isEmpty()
          ? "precondition failed: " + path + " does not exist, so nothing matches If-Match: " + render(ifMatch)
          : "precondition failed: " + path + " is at version " + current.getAsLong()
              + ", which does not match If-Match: " + render(ifMatch));
      case IF_NONE_MATCH_FAILED -> Optional.of(ifNoneMatch.equals(List.of(ANY))
          ? "precondition failed: " + path + " already exists at version " + current.getAsLong()
              + " (If-None-Match: *)"
          : "precondition failed: " + path + " is at version " + current.getAsLong()
              + ", which If-None-Match excludes: " + render(ifNoneMatch));
    };
  }

  private static boolean matches(List<String> tags, OptionalLong current) {
    if (current.isEmpty()) return false;
    if (tags.equals(List.of(ANY))) return true;
    return tags.contains(Long.toString(current.getAsLong()));
  }

  /** The tags as a header writes them: {@code *}, or quoted tags joined with ", ". */
  private static String render(List<String> tags) {
    if (tags.equals(List.of(ANY))) return ANY;
    return tags.stream().map(t -> t.startsWith("W/") ? t : "\"" + t + "\"").collect(Collectors.joining(", "));
  }
}
