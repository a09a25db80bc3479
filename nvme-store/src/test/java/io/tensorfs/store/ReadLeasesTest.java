package io.tensorfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.FileId;
import org.junit.jupiter.api.Test;

class ReadLeasesTest {
  private final ReadLeases leases = new ReadLeases();
  private final FileId file = FileId.random();

  @Test
  void shouldBeHeldUntilEveryLeaseIsReleased() {
    ReadLeases.Lease a = leases.acquire(file);
    ReadLeases.Lease b = leases.acquire(file);
    assertTrue(leases.held(file));
    assertFalse(leases.held(FileId.random()));

    a.close();
    assertTrue(leases.held(file));
    b.close();
    assertFalse(leases.held(file));
  }

  @Test
  void shouldCountAReleaseOnceWhenALeaseIsClosedTwice() {
    ReadLeases.Lease a = leases.acquire(file);
    try (ReadLeases.Lease b = leases.acquire(file)) {
      a.close();
      a.close();
      assertEquals(1, leases.readers(file));
      assertEquals(file, b.file());
    }
    assertFalse(leases.held(file));
    assertEquals(0, leases.readers(file));
  }
}
