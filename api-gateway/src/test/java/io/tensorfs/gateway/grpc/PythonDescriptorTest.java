package io.tensorfs.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import io.tensorfs.gateway.grpc.v1.TensorfsProto;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The Python client loads the wire contract from a descriptor compiled from the same .proto as the
 * Java code. This test fails when the committed descriptor is stale; run it with
 * {@code -Dtensorfs.update-python-descriptor=true} to write it afresh.
 */
class PythonDescriptorTest {
  static final Path DESCRIPTOR = Path.of("..", "clients", "python", "tensorfs", "tensorfs_v1.desc");

  @Test
  void shouldShipTheDescriptorCompiledFromTheProtoWhenPythonClientLoadsIt() throws Exception {
    FileDescriptorSet compiled = FileDescriptorSet.newBuilder().addFile(TensorfsProto.getDescriptor().toProto()).build();
    if (Boolean.getBoolean("tensorfs.update-python-descriptor")) {
      Files.write(DESCRIPTOR, compiled.toByteArray());
    }
    assertTrue(Files.exists(DESCRIPTOR), DESCRIPTOR.toAbsolutePath() + " is missing");
    FileDescriptorSet shipped = FileDescriptorSet.parseFrom(Files.readAllBytes(DESCRIPTOR));
    assertEquals(compiled, shipped, "the Python client's descriptor is stale: run this test with "
        + "-Dtensorfs.update-python-descriptor=true and commit " + DESCRIPTOR);
  }
}
