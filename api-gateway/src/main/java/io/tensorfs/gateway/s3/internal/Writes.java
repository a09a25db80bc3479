package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.FileAttributes;
import io.tensorfs.sharding.FileVersion;
import io.tensorfs.sharding.operator.NodeOperator;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The S3 edge's writes: a new version whose attributes are taken when it is sealed, once its body has
 * streamed through (the MD5 is known only then). Thread-safe.
 */
final class Writes {
  private final NodeOperator files;
  private final int chunkSizeBytes;
  private final long maxBytes;

  Writes(NodeOperator files, int chunkSizeBytes, long maxBytes) {
    this.files = files;
    this.chunkSizeBytes = chunkSizeBytes;
    this.maxBytes = maxBytes;
  }

  CompletionStage<FileVersion> put(TfsPath path, Policy policy, Precondition precondition, OptionalLong declared,
      Supplier<FileAttributes> atSeal, Source<ByteString, ?> body) {
    return files.put(path, policy, chunkSizeBytes, precondition, declared, maxBytes, atSeal, body);
  }
}
