package io.tensorfs.test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rules of the design that the compiler does not check, over the main classes of every module: the
 * modules depend one way, no module reaches into another's {@code internal} packages, no two areas of
 * the code depend on each other, and the edges reach the node only through the operator's API.
 */
class ArchitectureTest {
  /** Each module's root package, in the order the design lets them depend on each other. */
  private static final List<String> MODULES =
      List.of("core", "store", "transport", "gpu", "sharding", "gateway", "deploy");

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.tensorfs");
  }

  @Test
  void shouldImportEveryModule() {
    for (String module : MODULES) {
      String root = "io.tensorfs." + module;
      if (classes.stream().noneMatch(c -> c.getPackageName().startsWith(root))) {
        throw new AssertionError("no classes of " + root + " on the test class path: the rules below would pass on nothing");
      }
    }
  }

  /** core ← nvme-store, transport, gpu-sink ← sharding ← api-gateway ← deploy; the three data-plane modules never meet. */
  @Test
  void shouldKeepModulesDependingOneWay() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("core").definedBy("io.tensorfs.core..")
        .layer("nvme-store").definedBy("io.tensorfs.store..")
        .layer("transport").definedBy("io.tensorfs.transport..")
        .layer("gpu-sink").definedBy("io.tensorfs.gpu..")
        .layer("sharding").definedBy("io.tensorfs.sharding..")
        .layer("api-gateway").definedBy("io.tensorfs.gateway..")
        .layer("deploy").definedBy("io.tensorfs.deploy..")
        .whereLayer("deploy").mayNotBeAccessedByAnyLayer()
        .whereLayer("api-gateway").mayOnlyBeAccessedByLayers("deploy")
        .whereLayer("sharding").mayOnlyBeAccessedByLayers("api-gateway", "deploy")
        .whereLayer("nvme-store").mayOnlyBeAccessedByLayers("sharding", "api-gateway", "deploy")
        .whereLayer("transport").mayOnlyBeAccessedByLayers("sharding", "api-gateway", "deploy")
        .whereLayer("gpu-sink").mayOnlyBeAccessedByLayers("sharding", "api-gateway", "deploy")
        .check(classes);
  }

  @Test
  void shouldKeepInternalPackagesToTheirModule() {
    for (String module : MODULES) {
      String root = "io.tensorfs." + module;
      noClasses().that().resideOutsideOfPackage(root + "..")
          .should().dependOnClassesThat().resideInAPackage(root + "..internal..")
          .because("code in " + root + "'s internal packages is not its module's API")
          .check(classes);
    }
  }

  /** An area is a package together with its {@code internal} package: the API and what implements it. */
  @Test
  void shouldHaveNoCyclesBetweenAreas() {
    slices().assignedFrom(AREAS).should().beFreeOfCycles().check(classes);
  }

  /**
   * The edges (HTTP, gRPC, the front door, and the edges to come) translate and call the operator: they
   * never reach the entities, the metadata, placement, replication, elastic replicas or the operator's
   * insides themselves.
   */
  @Test
  void shouldLetEdgesReachTheNodeOnlyThroughTheOperator() {
    noClasses().that().resideInAPackage("io.tensorfs.gateway..")
        .should().dependOnClassesThat(resideInAnyPackage(
                "io.tensorfs.sharding.replication..", "io.tensorfs.sharding.placement..",
                "io.tensorfs.sharding.elastic..", "io.tensorfs.sharding.operator.internal..")
            .or(resideInAPackage("io.tensorfs.sharding").and(not(OPERATOR_VALUES)))
            .as("sharding's classes other than the operator API and the values it returns"))
        .check(classes);
  }

  /**
   * The metadata's values that the operator hands to edges (a version and its attributes, a change of them, a
   * directory's facts, a listing and its pages, a chunk's replicas).
   */
  private static final DescribedPredicate<JavaClass> OPERATOR_VALUES = DescribedPredicate.describe(
      "the operator's values", c -> Set.of("FileVersion", "DirEntry", "ChunkStatus", "FileAttributes",
              "AttributeChange", "DirInfo")
          .contains(c.getName().substring(c.getPackageName().length() + 1).split("\\$")[0])
          || Set.of("io.tensorfs.sharding.Metadata$Page", "io.tensorfs.sharding.Metadata$VersionPage",
              "io.tensorfs.sharding.Metadata$Listed").contains(c.getName()));

  private static final SliceAssignment AREAS = new SliceAssignment() {
    @Override
    public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
      String pkg = javaClass.getPackageName();
      if (!pkg.startsWith("io.tensorfs.")) return SliceIdentifier.ignore();
      int internal = pkg.indexOf(".internal");
      return SliceIdentifier.of(internal < 0 ? pkg : pkg.substring(0, internal));
    }

    @Override
    public String getDescription() {
      return "areas of io.tensorfs (a package with its internal package)";
    }
  };
}
