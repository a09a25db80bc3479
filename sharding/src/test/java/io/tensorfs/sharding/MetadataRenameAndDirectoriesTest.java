package io.tensorfs.sharding;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.store.MetadataOracle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Rename, attributes and explicit directories through {@link ShardedMetadata}, on a one-node cluster in this JVM. */
class MetadataRenameAndDirectoriesTest {
  private static final ReplicaLocation HERE = new ReplicaLocation("node-a", "d0");
  private static final int CHUNK = 1000;

  private static ActorTestKit testKit;
  private static ShardedMetadata metadata;

  @BeforeAll
  static void startCluster() {
    testKit = ActorTestKit.create("rename", ShardedMetadataTest.clusterConfig());
    metadata = ShardedMetadataTest.joinAlone(testKit);
  }

  @AfterAll
  static void stopCluster() {
    testKit.shutdownTestKit();
  }

  private static ErrorCode failureOf(CompletionStage<?> stage) {
    return assertInstanceOf(TfsException.class, Awaits.failure(stage), "fails with a TfsException").code();
  }

  private static String messageOf(CompletionStage<?> stage) {
    return Awaits.failure(stage).getMessage();
  }

  private static TfsPath path(String text) {
    return TfsPath.parse(text);
  }

  private static FileVersion upload(TfsPath path, long size, FileAttributes attributes) throws Exception {
    FileId id = await(metadata.beginUpload(path, Policy.PERSISTENT, CHUNK, Precondition.NONE));
    List<FileVersion.ChunkInfo> chunks = new ArrayList<>();
    for (int i = 0; i * (long) CHUNK < size; i++) {
      ChunkId chunk = new ChunkId(id, i);
      List<ReplicaLocation> placed = await(metadata.allocateChunk(chunk, Policy.PERSISTENT, List.of(HERE)));
      long length = Math.min(CHUNK, size - (long) i * CHUNK);
      await(metadata.commitChunk(chunk, length, 100 + i, placed));
      chunks.add(new FileVersion.ChunkInfo(length, 100 + i));
    }
    return await(metadata.seal(path, id, size, chunks, 77, Precondition.NONE, attributes)).current();
  }

  private static List<String> names(String dir) throws Exception {
    return await(metadata.list(path(dir))).stream().map(DirEntry::name).toList();
  }

  @Test
  void shouldMoveTheSameBytesToANewNameAndLetTheScanFollowThem() throws Exception {
    FileVersion a = upload(path("/mv/src/a.bin"), 2500, FileAttributes.defaults().withMd5Hex("abc"));

    Metadata.Sealed moved = await(metadata.rename(path("/mv/src/a.bin"), path("/mv/dst/b.bin"), Precondition.NONE));

    FileVersion b = moved.current();
    assertEquals(path("/mv/dst/b.bin"), b.path());
    assertEquals(a.fileId(), b.fileId(), "no copy: the same file id");
    assertEquals(a.chunks(), b.chunks());
    assertEquals("abc", b.attributes().md5Hex());
    assertTrue(moved.replaced().isEmpty());
    assertEquals(b, await(metadata.stat(path("/mv/dst/b.bin"))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.stat(path("/mv/src/a.bin"))));
    assertEquals(List.of("dst"), names("/mv"), "the emptied implicit source directory is pruned");
    assertEquals(List.of("b.bin"), names("/mv/dst"));
    // A store's scan asks the path the bytes were written under.
    assertEquals(new MetadataOracle.Live(Set.of(0, 1, 2)), await(metadata.check(a.fileId(), path("/mv/src/a.bin"), "d0")));

    await(metadata.rename(path("/mv/dst/b.bin"), path("/mv/c.bin"), Precondition.NONE));
    assertEquals(new MetadataOracle.Live(Set.of(0, 1, 2)), await(metadata.check(a.fileId(), path("/mv/src/a.bin"), "d0")),
        "followed through two renames");
    await(metadata.delete(path("/mv/c.bin"), Precondition.NONE));
    assertInstanceOf(MetadataOracle.Orphan.class, await(metadata.check(a.fileId(), path("/mv/src/a.bin"), "d0")),
        "deleted under its last name: its bytes go");
  }

  @Test
  void shouldKeepAFileRenamedAwayAndBackUnderItsLastName() throws Exception {
    FileVersion a = upload(path("/pp/a"), 100, FileAttributes.defaults());
    await(metadata.rename(path("/pp/a"), path("/pp/b"), Precondition.NONE));
    await(metadata.rename(path("/pp/b"), path("/pp/a"), Precondition.NONE));
    Metadata.Sealed third = await(metadata.rename(path("/pp/a"), path("/pp/b"), Precondition.NONE));

    assertEquals(a.fileId(), third.current().fileId());
    assertEquals(a.fileId(), await(metadata.stat(path("/pp/b"))).fileId(), "the last name serves the file");
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.stat(path("/pp/a"))));
    assertEquals(List.of("b"), names("/pp"));
    assertEquals(new MetadataOracle.Live(Set.of(0)), await(metadata.check(a.fileId(), path("/pp/a"), "d0")),
        "the scan finds the bytes through the pointers");
  }

  @Test
  void shouldReplaceTheTargetOrRefuseByItsPrecondition() throws Exception {
    FileVersion a = upload(path("/rep/a"), 10, FileAttributes.defaults());
    FileVersion old = upload(path("/rep/b"), 20, FileAttributes.defaults());

    assertEquals(ErrorCode.PRECONDITION_FAILED,
        failureOf(metadata.rename(path("/rep/a"), path("/rep/b"), Precondition.CREATE_ONLY)));
    assertEquals(a, await(metadata.stat(path("/rep/a"))), "a refused rename moves nothing");

    Metadata.Sealed moved = await(metadata.rename(path("/rep/a"), path("/rep/b"), Precondition.NONE));
    assertEquals(java.util.Optional.of(old), moved.replaced(), "the target's old version is handed back to collect");
    assertEquals(old.version() + 1, moved.current().version());
    assertEquals(a.fileId(), await(metadata.stat(path("/rep/b"))).fileId());
    assertInstanceOf(MetadataOracle.Orphan.class, await(metadata.check(old.fileId(), path("/rep/b"), "d0")));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.rename(path("/rep/a"), path("/rep/c"), Precondition.NONE)));
  }

  @Test
  void shouldRefuseARenameOntoADirectory() throws Exception {
    upload(path("/ontodir/f"), 1, FileAttributes.defaults());
    upload(path("/ontodir/d/x"), 1, FileAttributes.defaults());
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.rename(path("/ontodir/f"), path("/ontodir/d"), Precondition.NONE)));
    assertEquals(1, await(metadata.stat(path("/ontodir/f"))).size(), "still there");
  }

  @Test
  void shouldKeepAnExplicitDirectoryWhenEmptiedAndPruneAnImplicitOne() throws Exception {
    await(metadata.mkdir(path("/dirs/kept"), FileAttributes.directoryDefaults().withMode(0700)));
    upload(path("/dirs/kept/f"), 1, FileAttributes.defaults());
    upload(path("/dirs/implicit/f"), 1, FileAttributes.defaults());

    await(metadata.delete(path("/dirs/kept/f"), Precondition.NONE));
    await(metadata.delete(path("/dirs/implicit/f"), Precondition.NONE));

    DirInfo kept = await(metadata.statDir(path("/dirs/kept")));
    assertTrue(kept.explicit());
    assertEquals(0700, kept.attributes().mode());
    assertTrue(kept.attributes().mtimeMillis() > 0, "mkdir's time");
    assertEquals(List.of(), names("/dirs/kept"), "an empty explicit directory lists empty");
    assertEquals(List.of("kept"), names("/dirs"));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.statDir(path("/dirs/implicit"))));
  }

  @Test
  void shouldRefuseMkdirOfWhatExistsAndRmdirOfWhatIsNotEmpty() throws Exception {
    upload(path("/md/file"), 1, FileAttributes.defaults());
    upload(path("/md/implicit/f"), 1, FileAttributes.defaults());
    await(metadata.mkdir(path("/md/a/b"), FileAttributes.directoryDefaults()));

    assertTrue(messageOf(metadata.mkdir(path("/md/a/b"), FileAttributes.directoryDefaults())).contains("exists"));
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.mkdir(path("/md/implicit"), FileAttributes.directoryDefaults())));
    assertTrue(messageOf(metadata.mkdir(path("/md/file"), FileAttributes.directoryDefaults())).contains("is a file"));
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.mkdir(path("/md/file/x"), FileAttributes.directoryDefaults())));
    assertFalse(await(metadata.statDir(path("/md/a"))).explicit(), "parents made on the way are implicit");

    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.rmdir(path("/md/a"))));
    assertTrue(messageOf(metadata.rmdir(path("/md/a"))).contains("not empty"));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.rmdir(path("/md/none"))));
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.rmdir(path("/md/file"))));

    await(metadata.rmdir(path("/md/a/b")));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.statDir(path("/md/a/b"))));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.statDir(path("/md/a"))), "the implicit parent it emptied goes");
    assertEquals(List.of("file", "implicit"), names("/md"));
  }

  @Test
  void shouldRemoveAnImplicitDirectoryLeftEmptyByACrash() throws Exception {
    Namespace names = new Namespace(new EntityAsks(
        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(testKit.system()), java.time.Duration.ofSeconds(5)));
    await(names.linkDirectory(path("/left/over"))); // linked, but no marker and no file came
    assertFalse(await(metadata.statDir(path("/left/over"))).explicit());
    await(metadata.rmdir(path("/left/over")));
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.statDir(path("/left/over"))));
  }

  @Test
  void shouldChangeAFilesAndADirectorysAttributes() throws Exception {
    FileVersion v = upload(path("/attrs/f"), 5, FileAttributes.defaults().withContentType("text/plain")
        .withUser(Map.of("a", "1")));
    FileVersion changed = await(metadata.setAttributes(path("/attrs/f"),
        AttributeChange.none().withMode(0600).withOwner(7, 8).withUser(Map.of("b", "2"))));
    assertEquals(v.version(), changed.version());
    assertEquals(new FileAttributes(0600, 7, 8, v.attributes().mtimeMillis(), "text/plain", "", Map.of("b", "2")),
        await(metadata.stat(path("/attrs/f"))).attributes());
    assertEquals(ErrorCode.NOT_FOUND, failureOf(metadata.setAttributes(path("/attrs/none"), AttributeChange.none())));

    DirInfo dir = await(metadata.setDirAttributes(path("/attrs"), AttributeChange.none().withMode(0711)));
    assertEquals(0711, dir.attributes().mode());
    assertEquals(0711, await(metadata.statDir(path("/attrs"))).attributes().mode());
    assertEquals(ErrorCode.CONFLICT, failureOf(metadata.statDir(path("/attrs/f"))));
  }

  @Test
  void shouldListVersionsWithTheirAttributes() throws Exception {
    FileVersion v = upload(path("/lv/f"), 5, FileAttributes.defaults().withMd5Hex("feed"));
    await(metadata.mkdir(path("/lv/d"), FileAttributes.directoryDefaults()));
    Metadata.VersionPage page = await(metadata.listVersions(path("/lv"), null, 10));
    assertEquals(List.of(new Metadata.Listed("d", DirEntry.Type.DIR, java.util.Optional.empty()),
        new Metadata.Listed("f", DirEntry.Type.FILE, java.util.Optional.of(v))), page.entries());
  }
}
