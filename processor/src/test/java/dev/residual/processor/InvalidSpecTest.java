package dev.residual.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every invalid spec is one javac error, with the catalogue code, on the line that holds the mistake (marked
 * {@code //!} in each case), with a hint — and no stack trace.
 */
class InvalidSpecTest {

    private static final String BASIC = """
            @Block interface Basic {
                @Conv(kernel = 3, padding = 1, stride = Conv.BLOCK) @Norm @Relu Layer conv1();
                @Conv(kernel = 3, padding = 1) @Norm Layer conv2();
            }
            """;

    private static Arguments spec(String name, String code, String message, String body) {
        return Arguments.of(name, code, message, body);
    }

    /** A model with the given layers, input 1×28×28, batch 8. */
    private static String model(String layers) {
        return "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n" + layers + "\n" + BASIC + "}\n";
    }

    static Stream<Arguments> specs() {
        return Stream.of(
                // --- the declaration ---
                spec("class instead of interface", "RES001", "must be on an interface",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic abstract class M {} //!\n"),
                spec("generic model", "RES002", "type parameters",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M<T> { //!\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                spec("no layers", "RES003", "declares no layers",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {} //!\n"),
                spec("input of rank 2", "RES004", "has 2 dimensions",
                        "@Model(input = {28, 28}, batch = 8) //!\npublic interface M {\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                spec("empty input", "RES004", "has 0 dimensions",
                        "@Model(input = {}, batch = 8) //!\npublic interface M {\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                spec("zero input dimension", "RES005", "not positive",
                        "@Model(input = {1, 0, 28}, batch = 8) //!\npublic interface M {\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                spec("batch of 0", "RES006", "batch = 0",
                        "@Model(input = {1, 28, 28}, batch = 0) //!\npublic interface M {\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                spec("negative batch", "RES006", "batch = -4",
                        "@Model(input = {1, 28, 28}, batch = -4) //!\npublic interface M {\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                spec("bad class name", "RES007", "not a Java identifier",
                        "@Model(input = {1, 28, 28}, batch = 8, className = \"my-net\") //!\npublic interface M {\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                spec("plain twin name with a dash", "RES011", "not a Java identifier",
                        "@Model(input = {1, 28, 28}, batch = 8, plainTwin = \"plain-net\") //!\n"
                                + "public interface M {\n  @Dense(units = 10) Layer logits();\n}\n"),
                spec("plain twin named like the generated class", "RES012", "the generated class",
                        "@Model(input = {1, 28, 28}, batch = 8, plainTwin = \"MNet\") //!\n"
                                + "public interface M {\n  @Dense(units = 10) Layer logits();\n}\n"),
                spec("plain twin named like the interface", "RES012", "the model interface",
                        "@Model(input = {1, 28, 28}, batch = 8, plainTwin = \"M\") //!\n"
                                + "public interface M {\n  @Dense(units = 10) Layer logits();\n}\n"),
                spec("plain twin named like a nested model's generated class", "RES012", "the generated class",
                        "interface Outer {\n@Model(input = {1, 28, 28}, batch = 8, plainTwin = \"Outer_MNet\") //!\n"
                                + "interface M {\n  @Dense(units = 10) Layer logits();\n}\n}\n"),
                spec("plain twin of a model without skips", "RES013", "no @Residual stage",
                        "@Model(input = {1, 28, 28}, batch = 8, plainTwin = \"PlainM\") //!\n"
                                + "public interface M {\n  @Dense(units = 10) Layer logits();\n}\n"),
                spec("model extends another interface", "RES009", "extends",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M extends Runnable { //!\n"
                                + "  @Dense(units = 10) Layer logits();\n}\n"),
                // --- layer methods ---
                spec("method without annotation", "RES020", "has no layer annotation",
                        model("  @Dense(units = 10) Layer logits();\n  Layer helper(); //!")),
                spec("layer with parameters", "RES021", "takes parameters",
                        model("  @Dense(units = 10) Layer logits(int size); //!")),
                spec("layer returning int", "RES022", "returns int",
                        model("  @Dense(units = 10) int logits(); //!")),
                spec("generic layer method", "RES023", "type parameters",
                        model("  @Dense(units = 10) <T> Layer logits(); //!")),
                spec("default layer method", "RES024", "default method",
                        model("  @Dense(units = 10) default Layer logits() { return null; } //!")),
                spec("reserved name", "RES025", "forward",
                        model("  @Dense(units = 10) Layer forward(); //!")),
                spec("names that clash when generated", "RES026", "CONV_A",
                        model("  @Conv(filters = 4, kernel = 3) Layer convA();\n"
                                + "  @Conv(filters = 4, kernel = 3) Layer conv_a(); //!")),
                // --- annotations on one method ---
                spec("unknown annotation", "RES030", "@Unknown",
                        "@interface Unknown {}\n" + model("  @Unknown @Dense(units = 10) Layer logits(); //!")),
                spec("conv and dense on one method", "RES031", "one method is one layer",
                        model("  @Conv(filters = 4, kernel = 3) @Dense(units = 10) Layer both(); //!")),
                spec("norm written before conv", "RES032", "written after @Norm",
                        model("  @Norm @Conv(filters = 4, kernel = 3) Layer stem(); //!")),
                spec("residual with a norm", "RES033", "combined with @Norm",
                        model("  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Basic.class) @Norm Layer stage(); //!")),
                spec("two activations", "RES034", "two activations",
                        model("  @Conv(filters = 4, kernel = 3) @Relu @Gelu Layer stem(); //!")),
                // --- attribute values ---
                spec("zero filters", "RES040", "filters = 0",
                        model("  @Conv(filters = 0, kernel = 3) Layer stem(); //!")),
                spec("zero kernel", "RES040", "kernel = 0",
                        model("  @Conv(filters = 4, kernel = 0) Layer stem(); //!")),
                spec("negative kernel", "RES040", "kernel = -3",
                        model("  @Conv(filters = 4, kernel = -3) Layer stem(); //!")),
                spec("zero stride", "RES040", "stride = 0",
                        model("  @Conv(filters = 4, kernel = 3, stride = 0) Layer stem(); //!")),
                spec("zero units", "RES040", "units = 0",
                        model("  @Dense(units = 0) Layer logits(); //!")),
                spec("zero repeat", "RES040", "repeat = 0",
                        model("  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Basic.class, repeat = 0) Layer stage(); //!")),
                spec("zero residual stride", "RES040", "stride = 0",
                        model("  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Basic.class, stride = 0) Layer stage(); //!")),
                spec("negative padding", "RES041", "padding = -1",
                        model("  @Conv(filters = 4, kernel = 3, padding = -1) Layer stem(); //!")),
                spec("conv without filters", "RES042", "has no filters",
                        model("  @Conv(kernel = 3) Layer stem(); //!")),
                spec("block stride outside a block", "RES043", "stride = Conv.BLOCK",
                        model("  @Conv(filters = 4, kernel = 3, stride = Conv.BLOCK) Layer stem(); //!")),
                spec("max pool without size", "RES044", "has no size",
                        model("  @Pool(MAX) Layer pool(); //!")),
                spec("global pool with a size", "RES045", "sets size",
                        model("  @Pool(value = GLOBAL_AVERAGE, size = 2) Layer pool(); //!")),
                spec("pool padding over half the window", "RES046", "more than half",
                        model("  @Pool(value = MAX, size = 2, padding = 2) Layer pool(); //!")),
                spec("zero eps", "RES047", "eps = 0.0",
                        model("  @Conv(filters = 4, kernel = 3) @Norm(eps = 0) Layer stem(); //!")),
                spec("momentum above 1", "RES048", "momentum = 1.5",
                        model("  @Conv(filters = 4, kernel = 3) @Norm(momentum = 1.5) Layer stem(); //!")),
                spec("groups on a batch norm", "RES049", "groups = 4",
                        model("  @Conv(filters = 4, kernel = 3) @Norm(groups = 4) Layer stem(); //!")),
                spec("momentum on a layer norm", "RES049", "momentum = 0.2",
                        model("  @Conv(filters = 4, kernel = 3) @Norm(kind = LAYER, momentum = 0.2) Layer stem(); //!")),
                // --- shapes ---
                spec("kernel larger than the input", "RES060", "does not fit the padded input 28×28",
                        model("  @Conv(filters = 4, kernel = 29) Layer stem(); //!")),
                spec("kernel larger after shrinking", "RES060", "padded input 4×4",
                        model("  @Conv(filters = 4, kernel = 3, stride = 2) Layer a();\n"
                                + "  @Conv(filters = 4, kernel = 3, stride = 3) Layer b();\n"
                                + "  @Conv(filters = 4, kernel = 7) Layer c(); //!")),
                spec("pool window larger than the map", "RES060", "@Pool",
                        model("  @Conv(filters = 4, kernel = 3, stride = 7) Layer a();\n"
                                + "  @Pool(value = MAX, size = 5) Layer p(); //!")),
                spec("conv after dense", "RES061", "gets a vector of 10 features",
                        model("  @Dense(units = 10) Layer d();\n  @Conv(filters = 4, kernel = 1) Layer c(); //!")),
                spec("pool after global pool", "RES061", "@Pool needs a C×H×W input",
                        model("  @Conv(filters = 4, kernel = 3) Layer c();\n  @Pool(GLOBAL_AVERAGE) Layer g();\n"
                                + "  @Pool(value = MAX, size = 2) Layer p(); //!")),
                spec("groups not dividing channels", "RES062", "groups = 3 does not divide the 16 channels",
                        model("  @Conv(filters = 16, kernel = 3) @Norm(kind = GROUP, groups = 3) Layer stem(); //!")),
                spec("group norm on a vector", "RES063", "needs channels",
                        model("  @Dense(units = 16) @Norm(kind = GROUP, groups = 4) Layer d(); //!")),
                // --- residual blocks ---
                spec("block not annotated", "RES070", "is not annotated @Block",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Plain.class) Layer stage(); //!\n"
                                + "  interface Plain { @Conv(kernel = 3, padding = 1) Layer c(); }\n}\n"),
                spec("block is a class", "RES071", "is a class",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = String.class) Layer stage(); //!\n}\n"),
                spec("recursive block", "RES072", "uses itself",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Loop.class) Layer stage();\n"
                                + "  @Block interface Loop { @Residual(block = Loop.class) Layer again(); //!\n  }\n}\n"),
                spec("empty block", "RES073", "declares no layers",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Empty.class) Layer stage();\n"
                                + "  @Block interface Empty {} //!\n}\n"),
                spec("identity shortcut with a shape change", "RES074", "turns 16×26×26 into 32×13×13",
                        model("  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Basic.class, filters = 32, stride = 2, shortcut = IDENTITY) Layer s(); //!")),
                spec("block that shrinks the map", "RES075", "cannot be added",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Shrink.class) Layer stage(); //!\n"
                                + "  @Block interface Shrink { @Conv(kernel = 3) Layer c(); }\n}\n"),
                spec("residual filters the block ignores", "RES076", "outputs 16 channels",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = Fixed.class, filters = 32) Layer stage(); //!\n"
                                + "  @Block interface Fixed { @Conv(filters = 16, kernel = 3, padding = 1) Layer c(); }\n}\n"),
                spec("residual stride the block ignores", "RES077", "stride = Conv.BLOCK",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = NoStride.class, stride = 2) Layer stage(); //!\n"
                                + "  @Block interface NoStride { @Conv(kernel = 3, padding = 1) Layer c(); }\n}\n"),
                spec("generic block", "RES078", "type parameters",
                        "@Model(input = {1, 28, 28}, batch = 8)\npublic interface M {\n"
                                + "  @Conv(filters = 16, kernel = 3) Layer stem();\n"
                                + "  @Residual(block = G.class) Layer stage();\n"
                                + "  @Block interface G<T> { @Conv(kernel = 3, padding = 1) Layer c(); } //!\n}\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void oneClearErrorOnTheRightLine(String name, String code, String fragment, String body) {
        JavaFileObject source = Sources.model("M", body);
        Compilation compilation = Sources.compile(source);
        List<Diagnostic<? extends JavaFileObject>> errors = compilation.errors();
        assertEquals(1, errors.size(), () -> name + ": expected one error, got " + errors);
        Diagnostic<? extends JavaFileObject> error = errors.get(0);
        String message = error.getMessage(Locale.ROOT);
        assertTrue(message.startsWith("[" + code + "]"), () -> name + ": " + message);
        assertTrue(message.contains(fragment), () -> name + ": expected «" + fragment + "» in " + message);
        assertTrue(message.matches("(?s).*\\n\\s*hint: \\S.*"), () -> name + ": no hint in " + message);
        assertTrue(!message.contains("Exception") && !message.contains("\tat "), () -> "stack trace: " + message);
        assertEquals(Sources.lineOf(body, "//!"), error.getLineNumber(), () -> name + ": " + message);
    }

    @org.junit.jupiter.api.Test
    void atLeastFortyDistinctSpecsAreCovered() {
        assertTrue(specs().count() >= 40);
    }
}
