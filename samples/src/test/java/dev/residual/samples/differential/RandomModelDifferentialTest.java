package dev.residual.samples.differential;

import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.gemm.JavaGemm;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.runtime.model.CompiledModel;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Randomly drawn valid models, each compiled by the processor at test time and loaded from its class files: the
 * generated code and the interpreter of its graph agree on the forward output, the loss and every gradient (see
 * {@link Agreement}). Few tries: each compiles a model with javac (about a second on the 2-core machine).
 */
class RandomModelDifferentialTest {

    private static int compiled;

    @Property(tries = 16, seed = "20261127")
    void generatedAndInterpretedAgree(@ForAll("models") DrawnModel drawn) throws Throwable {
        // Shown in jqwik's report: how varied the drawn models were.
        Statistics.label("residual stages").collect(drawn.stages().size());
        Statistics.label("stem norm").collect(drawn.stem().norm());
        String name = "Drawn" + compiled++;
        String source = drawn.source("drawn", name);
        Class<?> generated = MemoryClassLoader.compile("drawn." + name, source).loadClass("drawn." + name + "Net");
        // The pure-Java GEMM: deterministic, and no native library needed on any machine.
        Gemm gemm = new JavaGemm(1);
        try (CompiledModel model = (CompiledModel) generated.getConstructor(Gemm.class, long.class)
                .newInstance(gemm, 3L);
             Interpreter interpreter = Interpreter.of(generated, gemm, 3L)) {
            Agreement.check(model, interpreter, drawn.batch(), 2, 5L);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nmodel:\n" + source, e);
        }
    }

    @Provide
    Arbitrary<DrawnModel> models() {
        Arbitrary<DrawnModel.Stem> stem = Combinators.combine(Arbitraries.integers().between(2, 6),
                        Arbitraries.of(1, 3, 5), Arbitraries.of(1, 2), Arbitraries.of(DrawnModel.NORMS),
                        Arbitraries.of(DrawnModel.ACTIVATIONS))
                .as(DrawnModel.Stem::new);
        Arbitrary<DrawnModel.Stage> stage = Combinators.combine(Arbitraries.of(2, 4, 6, 8), Arbitraries.of(1, 2),
                        Arbitraries.integers().between(1, 2), Arbitraries.of(1, 3),
                        Arbitraries.of("AUTO", "PROJECTION"), Arbitraries.of(DrawnModel.NORMS),
                        Arbitraries.of(DrawnModel.ADD_ACTIVATIONS))
                .as(DrawnModel.Stage::new);
        Arbitrary<DrawnModel.Head> head = Combinators.combine(Arbitraries.of(true, false),
                        Arbitraries.of(0, 5), Arbitraries.of(true, false), Arbitraries.of(DrawnModel.ACTIVATIONS),
                        Arbitraries.integers().between(2, 5))
                .as(DrawnModel.Head::new);
        return Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.integers().between(5, 10),
                        Arbitraries.integers().between(2, 5), stem, Arbitraries.of(DrawnModel.POOLS),
                        stage.list().ofMinSize(1).ofMaxSize(3), head)
                .as(DrawnModel::new);
    }
}
