package io.tensorfs.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop load: {@code clients} threads, each running one operation after another with no pause, for a
 * time or until a count of operations is done. Every operation checks its own answer and throws on a wrong
 * one; the first failure stops the load and is rethrown. Each run starts its threads and ends them.
 */
final class ClosedLoop {
  private ClosedLoop() {}

  /** One operation of client {@code client} (0..clients-1); {@code seq} numbers them, per client or overall. */
  @FunctionalInterface
  interface Op {
    void run(int client, long seq) throws Exception;
  }

  /** What a timed run did: operations, the seconds they took, and each one's latency in ns. */
  record Result(long ops, double seconds, long[] latencyNs) {
    double perSecond() {
      return ops / seconds;
    }

    double p50Ms() {
      return percentileMs(latencyNs, 0.50);
    }

    double p99Ms() {
      return percentileMs(latencyNs, 0.99);
    }
  }

  /** Runs {@code op} on {@code clients} threads for {@code seconds}; each client numbers its operations 0, 1, ... */
  static Result forSeconds(int clients, double seconds, Op op) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<long[]>> each = new ArrayList<>();
      long t0 = System.nanoTime();
      long until = t0 + (long) (seconds * 1e9);
      for (int c = 0; c < clients; c++) {
        int client = c;
        each.add(pool.submit(() -> {
          long[] lat = new long[1024];
          int n = 0;
          try {
            while (!stop.get() && System.nanoTime() < until) {
              long s = System.nanoTime();
              op.run(client, n);
              if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
              lat[n++] = System.nanoTime() - s;
            }
          } catch (Exception | Error e) {
            stop.set(true);
            throw e;
          }
          return Arrays.copyOf(lat, n);
        }));
      }
      List<long[]> parts = new ArrayList<>();
      for (Future<long[]> f : each) parts.add(f.get());
      double took = (System.nanoTime() - t0) / 1e9;
      long[] all = parts.stream().flatMapToLong(Arrays::stream).toArray();
      return new Result(all.length, took, all);
    } finally {
      pool.shutdownNow();
    }
  }

  /** What a counted run did: for operation i (overall order of start), its latency and when it ended, ns. */
  record Counted(long[] latencyNs, long[] endNs, long startNs) {
    /** Operations {@code from} (inclusive) to {@code to} (exclusive) per second, over the time they ended in. */
    double perSecond(int from, int to) {
      long first = Long.MAX_VALUE;
      long last = Long.MIN_VALUE;
      for (int i = from; i < to; i++) {
        first = Math.min(first, endNs[i] - latencyNs[i]);
        last = Math.max(last, endNs[i]);
      }
      return (to - from) / ((last - first) / 1e9);
    }

    double p50Ms(int from, int to) {
      return percentileMs(Arrays.copyOfRange(latencyNs, from, to), 0.50);
    }

    double p99Ms(int from, int to) {
      return percentileMs(Arrays.copyOfRange(latencyNs, from, to), 0.99);
    }

    double seconds() {
      return (Arrays.stream(endNs).max().orElse(startNs) - startNs) / 1e9;
    }
  }

  /** Runs {@code count} operations on {@code clients} threads; {@code seq} numbers them 0..count-1 overall. */
  static Counted forCount(int clients, int count, Op op) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong next = new AtomicLong();
    long[] latency = new long[count];
    long[] end = new long[count];
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> each = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int client = c;
        each.add(pool.submit(() -> {
          try {
            for (long i = next.getAndIncrement(); i < count && !stop.get(); i = next.getAndIncrement()) {
              long s = System.nanoTime();
              op.run(client, i);
              long e = System.nanoTime();
              latency[(int) i] = e - s;
              end[(int) i] = e;
            }
          } catch (Exception | Error e) {
            stop.set(true);
            throw e;
          }
          return null;
        }));
      }
      for (Future<?> f : each) f.get();
      return new Counted(latency, end, t0);
    } finally {
      pool.shutdownNow();
    }
  }

  static double percentileMs(long[] latencyNs, double q) {
    if (latencyNs.length == 0) return 0;
    long[] sorted = latencyNs.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) (sorted.length * q))] / 1e6;
  }
}
