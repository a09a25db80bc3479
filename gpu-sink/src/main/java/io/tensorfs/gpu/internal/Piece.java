package io.tensorfs.gpu.internal;

/**
 * One cudaMemcpyAsync of a copy: {@code bytes} between host buffer number {@code buffer} at absolute index
 * {@code hostOffset} and the device allocation at {@code deviceOffset} from its base, on stream {@code stream}.
 */
public record Piece(int stream, int buffer, long hostOffset, long deviceOffset, long bytes) {}
