package dev.loopflux.bench.echo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws {@link EchoBench}'s results as an SVG bar chart: one panel per scenario and metric, one
 * bar per server, each labelled with its value and its ratio to Netty. It reads the text that
 * EchoBench prints, so the chart is made from a run's own output:
 *
 * <pre>
 * java -cp loopflux-benchmarks.jar dev.loopflux.bench.echo.EchoBench | tee echo.txt
 * java -cp loopflux-benchmarks.jar dev.loopflux.bench.echo.EchoChart echo.txt echo.svg
 * </pre>
 */
public final class EchoChart {
    private static final int WIDTH = 760;
    private static final int BAR_HEIGHT = 18;
    private static final int LABEL_WIDTH = 130;
    private static final int PANEL_GAP = 34;
    private static final String REFERENCE = "netty";

    private EchoChart() {
    }

    /** One panel: a metric of a scenario, its value per server, and which way is better. */
    record Panel(String title, Map<String, Double> values, boolean lowerIsBetter) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: EchoChart <EchoBench output> <chart.svg>");
        }
        List<Panel> panels = parse(Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8));
        Files.writeString(Path.of(args[1]), svg(panels), StandardCharsets.UTF_8);
        System.out.println("wrote " + panels.size() + " panels to " + args[1]);
    }

    /** The panels worth drawing from EchoBench's tables. */
    static List<Panel> parse(List<String> lines) {
        List<Panel> panels = new ArrayList<>();
        String scenario = null;
        String[] header = null;
        Map<String, Map<String, Double>> columns = new LinkedHashMap<>();
        for (String line : lines) {
            if (line.startsWith("== ")) {
                flush(scenario, columns, panels);
                scenario = line.replace("=", "").trim();
                header = null;
                columns = new LinkedHashMap<>();
            } else if (scenario != null && line.contains(" | ")) {
                String[] cells = line.split(" \\| ");
                if (header == null) {
                    header = cells;
                    continue;
                }
                for (int i = 1; i < cells.length && i < header.length; i++) {
                    Double value = number(cells[i]);
                    if (value != null) {
                        columns.computeIfAbsent(header[i], k -> new LinkedHashMap<>()).put(cells[0].trim(), value);
                    }
                }
            }
        }
        flush(scenario, columns, panels);
        return panels;
    }

    private static void flush(String scenario, Map<String, Map<String, Double>> columns, List<Panel> panels) {
        if (scenario == null) {
            return;
        }
        columns.forEach((metric, values) -> {
            boolean drawn = metric.contains("CPU") || metric.contains("msgs/s") || metric.contains("B/conn")
                    || metric.contains("growth");
            if (drawn) {
                panels.add(new Panel(scenario + ": " + metric, values, !metric.contains("msgs/s")));
            }
        });
    }

    private static Double number(String cell) {
        String digits = cell.trim().replace(",", "").replaceAll("[^0-9.].*$", "");
        if (digits.isEmpty()) {
            return null;
        }
        try {
            return Double.parseDouble(digits);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static String svg(List<Panel> panels) {
        StringBuilder body = new StringBuilder();
        int y = 40;
        for (Panel panel : panels) {
            double max = panel.values().values().stream().mapToDouble(Double::doubleValue).max().orElse(1);
            Double reference = panel.values().get(REFERENCE);
            body.append(text(10, y, panel.title() + (panel.lowerIsBetter() ? "  (lower is better)" : "  (higher is better)"), "bold"));
            y += 8;
            for (Map.Entry<String, Double> e : panel.values().entrySet()) {
                double value = e.getValue();
                int length = (int) Math.round((WIDTH - LABEL_WIDTH - 170) * (max == 0 ? 0 : value / max));
                String color = e.getKey().startsWith("loopflux") || e.getKey().equals("reactor") ? "#2a7ab9" : "#9aa5b1";
                body.append(text(10, y + 14, e.getKey(), "normal"));
                body.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='%s'/>%n",
                        LABEL_WIDTH, y + 2, Math.max(1, length), BAR_HEIGHT - 4, color));
                String ratio = reference == null || reference == 0 ? "" : String.format(Locale.ROOT, "  (%.2fx netty)", value / reference);
                body.append(text(LABEL_WIDTH + length + 6, y + 14, format(value) + ratio, "normal"));
                y += BAR_HEIGHT;
            }
            y += PANEL_GAP;
        }
        return String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='12'>%n"
                + "<rect width='100%%' height='100%%' fill='white'/>%n%s%s</svg>%n",
                WIDTH, y, text(10, 20, "Echo servers side by side (EchoBench); blue: Loopflux (loop-core, Reactor API)", "bold"), body);
    }

    private static String format(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.3f", value);
    }

    private static String text(int x, int y, String s, String weight) {
        String escaped = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        return String.format(Locale.ROOT, "<text x='%d' y='%d' font-weight='%s'>%s</text>%n", x, y, weight, escaped);
    }
}
