package dev.residual.processor;

import com.google.auto.service.AutoService;
import dev.residual.processor.diagnostics.Code;
import dev.residual.processor.diagnostics.Location;
import dev.residual.processor.diagnostics.Reporter;
import dev.residual.processor.emit.GraphResourceWriter;
import dev.residual.processor.emit.ModelWriter;
import dev.residual.processor.graph.Graph;
import dev.residual.processor.graph.GraphBuilder;
import dev.residual.processor.plan.MemoryPlan;
import dev.residual.processor.plan.Planner;
import dev.residual.processor.read.ModelSpec;
import dev.residual.processor.read.SpecReader;
import dev.residual.processor.validate.SpecValidator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.TypeElement;

/**
 * Compiles each {@code @Model} interface into a network class. The pipeline, one package per step:
 * <ol>
 *   <li>{@code read} — the annotations as written ({@link SpecReader});</li>
 *   <li>{@code validate} — every mistake that needs no shapes ({@link SpecValidator});</li>
 *   <li>{@code graph} — the DAG of ops with every shape inferred, and the shape mistakes ({@link GraphBuilder});</li>
 *   <li>{@code plan} — fusion and the memory blocks ({@link Planner});</li>
 *   <li>{@code emit} — the Java source, with JavaPoet ({@link ModelWriter}).</li>
 * </ol>
 * It never throws out of {@link #process}: an internal failure becomes a compile error on the model that names it.
 * Isolating for Gradle: each generated file has its model interface as its only originating element.
 */
@AutoService(Processor.class)
public final class ResidualProcessor extends AbstractProcessor {

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        return Set.of(SpecReader.MODEL);
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        TypeElement model = processingEnv.getElementUtils().getTypeElement(SpecReader.MODEL);
        if (model == null) {
            return false;
        }
        for (Element element : round.getElementsAnnotatedWith(model)) {
            Reporter reporter = new Reporter(processingEnv.getMessager());
            try {
                compile((TypeElement) element, reporter);
            } catch (RuntimeException | IOException | Error e) {
                StringWriter trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                String firstFrame = trace.toString().lines().skip(1).findFirst().orElse("").trim();
                reporter.error(Location.of(element), Code.INTERNAL_ERROR, element.getSimpleName(),
                        e + " " + firstFrame);
            }
        }
        return true;
    }

    private void compile(TypeElement element, Reporter reporter) throws IOException {
        SpecValidator validator = new SpecValidator(reporter);
        if (!validator.isInterface(element)) {
            return;
        }
        ModelSpec spec = new SpecReader(processingEnv.getElementUtils()).read(element);
        if (!validator.validate(spec)) {
            return;
        }
        if (write(spec, element, reporter) && !spec.plainTwin().isEmpty()) {
            write(spec.plainTwinSpec(), element, reporter);
        }
    }

    /** Builds, plans and writes one generated class and its graph resource; false when a shape error was reported. */
    private boolean write(ModelSpec spec, TypeElement element, Reporter reporter) throws IOException {
        Graph graph = new GraphBuilder(reporter, spec).build();
        if (graph == null) {
            return false;
        }
        MemoryPlan plan = new Planner().plan(graph);
        ModelWriter writer = new ModelWriter(spec, plan);
        writer.write(processingEnv.getFiler());
        new GraphResourceWriter(graph, writer.className().simpleName(), spec.pixelLoss())
                .write(processingEnv.getFiler(), writer.className().packageName(), element);
        return true;
    }
}
