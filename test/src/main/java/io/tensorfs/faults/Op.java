package io.tensorfs.faults;

/**
 * One entry of a trial's history: a write or a read one client made of one path, or a fault the trial
 * injected ({@code kind} KILL, RESTART, ...; {@code path} null). Immutable; any thread.
 *
 * @param startMillis milliseconds since the trial began, when the request was sent
 * @param endMillis   when its answer (or failure) came
 * @param kind        PUT, DELETE, READ, or a fault
 * @param body        the bytes a PUT sent, or a READ saw (null: absent, or none)
 * @param node        the node the request went to (0 for none)
 * @param status      the HTTP status, or -1 when no answer came
 * @param version     the version a 201 or a read's ETag named, or -1
 * @param outcome     for a write, what the client learned; null for reads and faults
 * @param note        an error message, the ETag seen, or what a fault did
 */
public record Op(long startMillis, long endMillis, String client, String kind, String path, Body body, int node,
    int status, long version, Outcome outcome, String note) {

  public boolean isWrite() {
    return kind.equals("PUT") || kind.equals("DELETE");
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    s.append(String.format("%7d..%-7d %-4s %-8s", startMillis, endMillis, client == null ? "-" : client, kind));
    if (path != null) s.append(' ').append(path);
    if (body != null) s.append(' ').append(body);
    if (node > 0) s.append(" via node-").append(node);
    if (status != 0) s.append(" -> ").append(status < 0 ? "no answer" : Integer.toString(status));
    if (version >= 0) s.append(" v").append(version);
    if (outcome != null) s.append(' ').append(outcome);
    if (note != null && !note.isEmpty()) s.append(" (").append(note).append(')');
    return s.toString();
  }
}
