package io.tensorfs.gateway.grpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.core.gpu.GpuBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class CufileScatterTest {
  private static GpuBuffer gpu(int key, long offset, long length) {
    byte[] handle = new byte[GpuBuffer.HANDLE_BYTES];
    handle[0] = (byte) key;
    return new GpuBuffer(handle, 0, offset, length);
  }

  @Test
  void shouldCutAtChunkAndElementBoundariesWhenPlanningCufilePieces() {
    // chunks of 100 bytes; bytes 150..420 of the file into elements of 80, 200 and 50 bytes (270 wanted).
    List<CufileScatter.Piece> pieces = CufileScatter.plan(150, 270, 100,
        List.of(gpu(1, 10, 80), gpu(2, 0, 200), gpu(3, 5, 50)));
    List<String> got = pieces.stream().map(p -> p.chunkIndex() + ":" + p.chunkOffset() + "->" + p.target().ipcHandle()[0]
        + "@" + p.target().offset() + "+" + p.target().length()).toList();
    assertEquals(List.of(
        "1:50->1@10+50",   // file 150..200
        "2:0->1@60+30",    // file 200..230: the first element is full
        "2:30->2@0+70",    // file 230..300
        "3:0->2@70+100",   // file 300..400
        "4:0->2@170+20"),  // file 400..420: the read ends inside the second element
        got);
    assertEquals(270, pieces.stream().mapToLong(p -> p.target().length()).sum());
  }

  @Test
  void shouldPlanNothingWhenTheRangeIsEmpty() {
    assertEquals(List.of(), CufileScatter.plan(0, 0, 100, List.of(gpu(1, 0, 10))));
  }
}
