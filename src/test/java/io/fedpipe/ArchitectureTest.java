package io.fedpipe;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.all;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaPackage;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.AbstractClassesTransformer;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.fedpipe.cluster.protocol.WireMessage;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The package rules of docs/ARCHITECTURE.md, checked on FedPipe's main classes (tests may reach
 * across packages to set things up). Each rule says why it exists; a failure names the classes
 * and the dependency that break it.
 */
@AnalyzeClasses(packages = "io.fedpipe", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String PEKKO = "org.apache.pekko..";

    /** The actor roles: one package each, with its protocol, behavior and settings (STYLE.md §1). */
    private static final List<String> ROLES = List.of("trainer", "aggregator", "scheduler", "gateway");

    /** Packages that start or wire several roles: the node's init, the CLI and the one-machine launcher. */
    private static final List<String> LAUNCHERS = List.of("io.fedpipe.cluster.node", "io.fedpipe.cli",
            "io.fedpipe.cluster.local");

    /** The pure logic: no actors, so it is tested without a cluster and reused by the simulator. */
    private static final String[] PURE = {"io.fedpipe.core..", "io.fedpipe.model..", "io.fedpipe.lora..",
        "io.fedpipe.quant..", "io.fedpipe.importance..", "io.fedpipe.planning..", "io.fedpipe.aggregation..",
        "io.fedpipe.data..", "io.fedpipe.eval..", "io.fedpipe.round..", "io.fedpipe.local..",
        "io.fedpipe.simulation..", "io.fedpipe.config..", "io.fedpipe.job.."};

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("io.fedpipe.(**)")
            .should().beFreeOfCycles()
            .because("a cycle makes two packages one: neither can be understood, tested or changed alone, "
                    + "and the layering of docs/ARCHITECTURE.md (core at the bottom, node on top) stops holding");

    @ArchTest
    static final ArchRule pekkoOnlyInTheCluster = noClasses()
            .that().resideOutsideOfPackage("io.fedpipe.cluster..")
            .should().dependOnClassesThat().resideInAPackage(PEKKO)
            .because("actors, remoting and persistence are the cluster's concern; everything else runs "
                    + "(and is tested) in a plain JVM, and the CLI only calls the cluster's entry points");

    @ArchTest
    static final ArchRule pureLogicHasNoPekko = noClasses()
            .that().resideInAnyPackage(PURE)
            .should().dependOnClassesThat().resideInAPackage(PEKKO)
            .because("the pure logic is shared by the one-JVM simulator and the cluster, and its tests are "
                    + "pure unit tests (STYLE.md §1)");

    @ArchTest
    static final ArchRule coreIsTheLeaf = noClasses()
            .that().resideInAPackage("io.fedpipe.core..")
            .should().dependOnClassesThat(resideInAPackage("io.fedpipe..")
                    .and(not(resideInAPackage("io.fedpipe.core.."))))
            .because("core holds the value types every package shares; depending on any of them would make "
                    + "everything depend on everything");

    @ArchTest
    static final ArchRule protocolIsTheClusterLeaf = noClasses()
            .that().resideInAPackage("io.fedpipe.cluster.protocol..")
            .should().dependOnClassesThat(resideInAPackage("io.fedpipe.cluster..")
                    .and(not(resideInAPackage("io.fedpipe.cluster.protocol.."))))
            .because("the protocols shared by two roles, the roles' names and the serialization markers are "
                    + "what every role depends on; they must not pull in any role, the wiring or the wire format");

    @ArchTest
    static final ArchRule noNdArrayInMessages = classes()
            .that(messageTypes())
            .should(notReachNdArraysThroughFields())
            .because("no NDArray crosses an actor boundary (STYLE.md §6): it lives in native memory owned "
                    + "by an NDManager of the sending JVM, and the wire formats cannot carry it");

    @ArchTest
    static final ArchRule onlyLaunchersCombineRoles = all(packagesOfFedPipe())
            .should(dependOnAtMostOwnRoleOrOneRole())
            .because("a role package is one actor role with its protocol, behavior and settings (STYLE.md §1); "
                    + "roles talk through cluster.protocol, and only the node's wiring, the CLI and the local "
                    + "launcher put several roles together");

    /**
     * Classes assignable to WireMessage, and the records nested in cluster.protocol's interfaces.
     * Private ones are left out: they are an actor's messages to itself (timer ticks, pipeToSelf
     * results such as the trainer's loaded job), which never leave its JVM and so may hold native
     * resources; no other class can even name them to send them.
     */
    private static DescribedPredicate<JavaClass> messageTypes() {
        return DescribedPredicate.describe("are wire messages (not private) or records nested in cluster.protocol",
                c -> c.isAssignableTo(WireMessage.class) && !c.getModifiers().contains(JavaModifier.PRIVATE)
                        || c.getPackageName().equals("io.fedpipe.cluster.protocol") && c.getEnclosingClass().isPresent()
                        && c.getRawSuperclass().map(s -> s.getName().equals("java.lang.Record")).orElse(false));
    }

    /**
     * Follows the types of every field (type arguments included) through FedPipe's own classes, so
     * an NDArray two records deep is found as well as one in the message itself.
     */
    private static ArchCondition<JavaClass> notReachNdArraysThroughFields() {
        return new ArchCondition<>("not have a field whose type is, or holds, an ai.djl.ndarray type") {
            @Override
            public void check(JavaClass message, ConditionEvents events) {
                Set<JavaClass> seen = new HashSet<>();
                Deque<JavaClass> todo = new ArrayDeque<>(List.of(message));
                while (!todo.isEmpty()) {
                    JavaClass c = todo.pop();
                    if (!seen.add(c)) {
                        continue;
                    }
                    for (JavaField f : c.getFields()) {
                        for (JavaClass t : f.getType().getAllInvolvedRawTypes()) {
                            JavaClass base = t.isArray() ? t.getBaseComponentType() : t;
                            if (base.getPackageName().startsWith("ai.djl.ndarray")) {
                                events.add(SimpleConditionEvent.violated(message, message.getName() + " reaches "
                                        + base.getName() + " through field " + f.getFullName()));
                            } else if (base.getPackageName().startsWith("io.fedpipe")) {
                                todo.push(base);
                            }
                        }
                    }
                }
            }
        };
    }

    /** Every package under io.fedpipe that holds main classes. */
    private static AbstractClassesTransformer<JavaPackage> packagesOfFedPipe() {
        return new AbstractClassesTransformer<>("packages of io.fedpipe") {
            @Override
            public Iterable<JavaPackage> doTransform(JavaClasses classes) {
                Set<JavaPackage> packages = new HashSet<>();
                for (JavaClass c : classes) {
                    if (c.getPackageName().startsWith("io.fedpipe.")) {
                        packages.add(c.getPackage());
                    }
                }
                return packages;
            }
        };
    }

    /** The role a package belongs to ({@code io.fedpipe.cluster.<role>..}), if any. */
    private static Optional<String> roleOf(String packageName) {
        for (String r : ROLES) {
            String p = "io.fedpipe.cluster." + r;
            if (packageName.equals(p) || packageName.startsWith(p + ".")) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static ArchCondition<JavaPackage> dependOnAtMostOwnRoleOrOneRole() {
        return new ArchCondition<>("depend on no role but its own (a role), or on at most one role (others)") {
            @Override
            public void check(JavaPackage pkg, ConditionEvents events) {
                String name = pkg.getName();
                if (LAUNCHERS.stream().anyMatch(l -> name.equals(l) || name.startsWith(l + "."))) {
                    return;
                }
                Optional<String> own = roleOf(name);
                Set<String> used = new TreeSet<>();
                Set<String> evidence = new TreeSet<>();
                for (Dependency d : pkg.getClassDependenciesFromThisPackage()) {
                    Optional<String> target = roleOf(d.getTargetClass().getPackageName());
                    if (target.isPresent() && !target.equals(own)) {
                        used.add(target.get());
                        evidence.add(d.getDescription());
                    }
                }
                boolean violated = own.isPresent() ? !used.isEmpty() : used.size() > 1;
                if (violated) {
                    events.add(SimpleConditionEvent.violated(pkg, name + (own.isPresent() ? " (role " + own.get() + ")"
                            : "") + " depends on roles " + used + ":\n  " + String.join("\n  ", evidence)));
                }
            }
        };
    }
}
