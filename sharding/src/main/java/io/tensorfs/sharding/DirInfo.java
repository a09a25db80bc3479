package io.tensorfs.sharding;

import io.tensorfs.core.TfsPath;

/**
 * What {@code statDir} answers for a directory: its path, its attributes (those given to mkdir or set
 * since; {@link FileAttributes#directoryDefaults()} for an implicit directory) and whether it is explicit
 * (made by mkdir: it stays when emptied) or implicit (there because files are under it; pruned when emptied).
 * The root is always there, implicit. Immutable.
 */
public record DirInfo(TfsPath path, FileAttributes attributes, boolean explicit) {}
