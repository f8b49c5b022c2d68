package ffnbench.report;

import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's charts, drawn with JFreeChart into PNG bytes (headless). No Spark here. Flat styling:
 * plain bars without gradients or shadows, light grid lines, log axes ticked at powers of ten and
 * labelled 1e-3, 1e-2, …, and one colour per series name in every chart (serial, parallel, … keep
 * their colour from chart to chart).
 */
public final class Charts {
    static final int WIDTH = 1000;
    static final int HEIGHT = 520;

    /** Colour-blind-safe palette (Okabe–Ito, then grey), in order of preference. */
    private static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0x56B4E9), new Color(0xD55E00), new Color(0xF0E442), new Color(0x000000), new Color(0x999999)};
    /** Series that appear in several charts keep one colour: the formulations, and the stages of a block. */
    private static final Map<String, Integer> FIXED = Map.ofEntries(Map.entry("serial", 0), Map.entry("parallel", 1),
            Map.entry("parallel-two-norms", 2), Map.entry("norm", 4), Map.entry("attention", 0), Map.entry("fused_gemm", 2),
            Map.entry("ffn_gemm", 1), Map.entry("activation", 3), Map.entry("residual", 6), Map.entry("stats", 5), Map.entry("router", 7),
            Map.entry("combine", 8));
    private static final Color GRID = new Color(0xDDDDDD);

    private Charts() {}

    /**
     * The colour of a chart's {@code index}-th series: fixed for the formulations and stages, else by
     * position (the charts of one report list their cases in the same order, so a case keeps its colour).
     */
    static Color colour(String series, int index) {
        Integer fixed = FIXED.get(series);
        return PALETTE[fixed != null ? fixed : index % PALETTE.length];
    }

    /** Plain white plot, light grid, no outline. */
    private static void flat(org.jfree.chart.plot.Plot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlineVisible(false);
        if (plot instanceof CategoryPlot c) c.setRangeGridlinePaint(GRID);
        if (plot instanceof org.jfree.chart.plot.XYPlot x) {
            x.setRangeGridlinePaint(GRID);
            x.setDomainGridlinePaint(GRID);
        }
    }

    /** Flat bars in each series' colour. */
    private static void flatBars(org.jfree.chart.renderer.category.BarRenderer renderer, CategoryPlot plot) {
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setDrawBarOutline(false);
        for (int i = 0; i < plot.getDataset().getRowCount(); i++) {
            renderer.setSeriesPaint(i, colour(String.valueOf(plot.getDataset().getRowKey(i)), i));
        }
    }

    /** A log axis ticked at powers of ten, labelled 1e-3, 1e-2, 0.1, 1, 10, … */
    static org.jfree.chart.axis.LogAxis logAxis(String label) {
        org.jfree.chart.axis.LogAxis axis = new org.jfree.chart.axis.LogAxis(label);
        axis.setSmallestValue(1e-9);
        axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1));
        axis.setMinorTickMarksVisible(false);
        axis.setNumberFormatOverride(new java.text.NumberFormat() {
            @Override
            public StringBuffer format(double v, StringBuffer to, java.text.FieldPosition pos) {
                return to.append(powerOfTen(v));
            }

            @Override
            public StringBuffer format(long v, StringBuffer to, java.text.FieldPosition pos) {
                return to.append(powerOfTen(v));
            }

            @Override
            public Number parse(String source, java.text.ParsePosition pos) {
                throw new UnsupportedOperationException();
            }
        });
        return axis;
    }

    /** 1e-3, 0.01, 0.1, 1, 10, 100, 1e3: plain numbers from 0.01 to 100, exponents outside. */
    static String powerOfTen(double v) {
        int e = (int) Math.round(Math.log10(v));
        if (Math.abs(v - Math.pow(10, e)) > 1e-9 * Math.pow(10, e)) return String.format(java.util.Locale.ROOT, "%.3g", v);
        if (e >= -2 && e <= 2) return e < 0 ? String.format(java.util.Locale.ROOT, "%." + (-e) + "f", v) : Long.toString(Math.round(v));
        return "1e" + e;
    }

    /** A bar with a symmetric error bar (e.g. mean ± 95% CI half-width). */
    public record Bar(String series, String category, double value, double error) { }

    static byte[] png(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Bars with error bars, grouped by category. */
    public static byte[] barsWithErrors(String title, String valueAxis, List<Bar> bars) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        for (Bar b : bars) data.add(b.value(), Double.isFinite(b.error()) ? b.error() : 0, b.series(), b.category());
        JFreeChart chart = ChartFactory.createLineChart(title, null, valueAxis, data, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        StatisticalBarRenderer renderer = new StatisticalBarRenderer();
        renderer.setErrorIndicatorPaint(Color.BLACK);
        plot.setRenderer(renderer);
        flat(plot);
        flatBars(renderer, plot);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        return png(chart);
    }

    /** Stacked bars: per category, the parts in series order. */
    public static byte[] stackedBars(String title, String valueAxis, Map<String, Map<String, Double>> parts) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        parts.forEach((category, series) -> series.forEach((s, v) -> data.addValue(v, s, category)));
        JFreeChart chart = ChartFactory.createStackedBarChart(title, null, valueAxis, data, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        flat(plot);
        flatBars((org.jfree.chart.renderer.category.BarRenderer) plot.getRenderer(), plot);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        return png(chart);
    }

    /**
     * Lines with an interval at every point: one series per name, rows {@code [x, y, low, high]}
     * (the 95% CI of y), drawn as whiskers, so no point is shown without its interval; a dashed line
     * marks y = {@code reference} (1 for a ratio: no difference).
     */
    public static byte[] linesWithIntervals(String title, String xAxis, String yAxis, Map<String, double[][]> series,
                                            double reference) {
        org.jfree.data.xy.YIntervalSeriesCollection data = new org.jfree.data.xy.YIntervalSeriesCollection();
        series.forEach((name, rows) -> {
            org.jfree.data.xy.YIntervalSeries s = new org.jfree.data.xy.YIntervalSeries(name);
            for (double[] r : rows) s.add(r[0], r[1], Double.isNaN(r[2]) ? r[1] : r[2], Double.isNaN(r[3]) ? r[1] : r[3]);
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xAxis, yAxis, data, PlotOrientation.VERTICAL, true, false, false);
        flat(chart.getXYPlot());
        org.jfree.chart.renderer.xy.XYErrorRenderer renderer = new org.jfree.chart.renderer.xy.XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDefaultLinesVisible(true);
        renderer.setDefaultShapesVisible(true);
        renderer.setErrorStroke(new java.awt.BasicStroke(1.5f));
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, colour(String.valueOf(data.getSeriesKey(i)), i));
            renderer.setSeriesStroke(i, new java.awt.BasicStroke(2f));
        }
        chart.getXYPlot().setRenderer(renderer);
        ((org.jfree.chart.axis.NumberAxis) chart.getXYPlot().getRangeAxis()).setAutoRangeIncludesZero(false);
        chart.getXYPlot().addRangeMarker(new org.jfree.chart.plot.ValueMarker(reference, Color.GRAY, new java.awt.BasicStroke(1f,
                java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f)));
        return png(chart);
    }

    /**
     * A heat map: one row per label (top to bottom in the given order), one column per index,
     * {@code values[row][column]} shaded from white (0) to dark blue (the largest value), with a legend.
     */
    public static byte[] heatMap(String title, String xAxis, List<String> rows, double[][] values, String legend) {
        org.jfree.data.xy.DefaultXYZDataset data = new org.jfree.data.xy.DefaultXYZDataset();
        int n = 0;
        for (double[] r : values) n += r.length;
        double[][] xyz = new double[3][n];
        double max = 0;
        int i = 0;
        for (int row = 0; row < values.length; row++) {
            for (int col = 0; col < values[row].length; col++, i++) {
                xyz[0][i] = col;
                xyz[1][i] = values.length - 1 - row;
                xyz[2][i] = values[row][col];
                max = Math.max(max, values[row][col]);
            }
        }
        data.addSeries(legend, xyz);
        org.jfree.chart.renderer.xy.XYBlockRenderer renderer = new org.jfree.chart.renderer.xy.XYBlockRenderer();
        org.jfree.chart.renderer.LookupPaintScale scale = new org.jfree.chart.renderer.LookupPaintScale(0, Math.max(max, 1e-12) * 1.0001, Color.WHITE);
        for (int step = 0; step <= 20; step++) {
            float t = step / 20f;
            scale.add(t * max, new Color(1 - 0.9f * t, 1 - 0.6f * t, 1 - 0.3f * t));
        }
        renderer.setPaintScale(scale);
        String[] labels = new String[values.length];
        for (int row = 0; row < values.length; row++) labels[values.length - 1 - row] = rows.get(row);
        org.jfree.chart.axis.NumberAxis x = new org.jfree.chart.axis.NumberAxis(xAxis);
        x.setStandardTickUnits(org.jfree.chart.axis.NumberAxis.createIntegerTickUnits());
        x.setLowerMargin(0);
        x.setUpperMargin(0);
        org.jfree.chart.axis.SymbolAxis y = new org.jfree.chart.axis.SymbolAxis(null, labels);
        org.jfree.chart.plot.XYPlot plot = new org.jfree.chart.plot.XYPlot(data, x, y, renderer);
        flat(plot);
        JFreeChart chart = new JFreeChart(title, plot);
        chart.removeLegend();
        org.jfree.chart.axis.NumberAxis scaleAxis = new org.jfree.chart.axis.NumberAxis(legend);
        scaleAxis.setRange(0, Math.max(max, 1e-12));
        org.jfree.chart.title.PaintScaleLegend bar = new org.jfree.chart.title.PaintScaleLegend(scale, scaleAxis);
        bar.setPosition(org.jfree.chart.ui.RectangleEdge.RIGHT);
        bar.setMargin(4, 4, 40, 4);
        chart.addSubtitle(bar);
        return png(chart);
    }

    /** Lines: one series per name, x/y pairs. */
    public static byte[] lines(String title, String xAxis, String yAxis, Map<String, double[][]> series, boolean logY) {
        return lines(title, xAxis, yAxis, series, logY, Map.of());
    }

    /**
     * Line chart with point shapes and, per entry of {@code markers}, a labelled vertical line
     * (e.g. the knee of a throughput curve).
     */
    public static byte[] lines(String title, String xAxis, String yAxis, Map<String, double[][]> series, boolean logY,
                               Map<String, Double> markers) {
        XYSeriesCollection data = new XYSeriesCollection();
        series.forEach((name, xy) -> {
            XYSeries s = new XYSeries(name, false, true);
            for (double[] p : xy) {
                if (!logY || p[1] > 0) s.add(p[0], p[1]);
            }
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xAxis, yAxis, data, PlotOrientation.VERTICAL, true, false, false);
        flat(chart.getXYPlot());
        org.jfree.chart.renderer.xy.XYItemRenderer lineRenderer = chart.getXYPlot().getRenderer();
        for (int i = 0; i < data.getSeriesCount(); i++) {
            lineRenderer.setSeriesPaint(i, colour(String.valueOf(data.getSeriesKey(i)), i));
            lineRenderer.setSeriesStroke(i, new java.awt.BasicStroke(2f));
        }
        if (logY) chart.getXYPlot().setRangeAxis(logAxis(yAxis));
        if (!markers.isEmpty()) {
            ((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) chart.getXYPlot().getRenderer()).setDefaultShapesVisible(true);
            markers.forEach((label, x) -> {
                org.jfree.chart.plot.ValueMarker m = new org.jfree.chart.plot.ValueMarker(x, Color.GRAY, new java.awt.BasicStroke(1f,
                        java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
                m.setLabel(label);
                m.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT);
                m.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.TOP_LEFT);
                chart.getXYPlot().addDomainMarker(m);
            });
        }
        return png(chart);
    }
}
