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

/** The report's charts, drawn with JFreeChart into PNG bytes (headless). No Spark here. */
public final class Charts {
    static final int WIDTH = 1000;
    static final int HEIGHT = 520;

    private Charts() {}

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
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        return png(chart);
    }

    /** Stacked bars: per category, the parts in series order. */
    public static byte[] stackedBars(String title, String valueAxis, Map<String, Map<String, Double>> parts) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        parts.forEach((category, series) -> series.forEach((s, v) -> data.addValue(v, s, category)));
        JFreeChart chart = ChartFactory.createStackedBarChart(title, null, valueAxis, data, PlotOrientation.VERTICAL, true, false, false);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.getCategoryPlot().getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
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
        chart.getXYPlot().setBackgroundPaint(Color.WHITE);
        chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.getXYPlot().setDomainGridlinePaint(Color.LIGHT_GRAY);
        if (logY) {
            org.jfree.chart.axis.LogAxis axis = new org.jfree.chart.axis.LogAxis(yAxis);
            axis.setSmallestValue(1e-9);
            chart.getXYPlot().setRangeAxis(axis);
        }
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
