package dev.probe.diagnostics;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.knowm.xchart.internal.chartpart.Chart;

import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.svg.SVGProcessor;
import de.erichseifert.vectorgraphics2d.util.PageSize;

/**
 * A picture of a given size that paints itself on any {@link Graphics2D}: one XChart chart, or a
 * grid of them (a corner plot). Written as PNG (a bitmap) or SVG (vector) alike.
 */
public final class Figure {

    private final int width;
    private final int height;
    private final int columns;
    private final List<Chart<?, ?>> panels;

    private Figure(int width, int height, int columns, List<Chart<?, ?>> panels) {
        this.width = width;
        this.height = height;
        this.columns = columns;
        this.panels = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(panels));
    }

    /** One chart at its own size. */
    public static Figure of(Chart<?, ?> chart) {
        return new Figure(chart.getWidth(), chart.getHeight(), 1, List.of(chart));
    }

    /**
     * Charts in a grid of {@code columns} columns, row by row, each panel of the given size; a null
     * panel is left blank (the upper triangle of a corner plot).
     */
    public static Figure grid(List<Chart<?, ?>> panels, int columns, int panelWidth, int panelHeight) {
        int rows = (panels.size() + columns - 1) / columns;
        return new Figure(columns * panelWidth, rows * panelHeight, columns, panels);
    }

    public int width() {
        return width;
    }

    /** The panels, row by row (null where blank); for tests that look inside a chart. */
    List<Chart<?, ?>> panels() {
        return panels;
    }

    public int height() {
        return height;
    }

    private void paint(Graphics2D g) {
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int rows = (panels.size() + columns - 1) / columns;
        int pw = width / columns;
        int ph = height / rows;
        for (int i = 0; i < panels.size(); i++) {
            Chart<?, ?> c = panels.get(i);
            if (c == null) {
                continue;
            }
            Graphics2D panel = (Graphics2D) g.create((i % columns) * pw, (i / columns) * ph, pw, ph);
            c.paint(panel, pw, ph);
            panel.dispose();
        }
    }

    /** The figure as PNG bytes. */
    public byte[] png() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        paint(g);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new IllegalStateException("PNG encoding failed in memory", e);
        }
        return out.toByteArray();
    }

    /** The figure as an SVG document. */
    public String svg() {
        VectorGraphics2D g = new VectorGraphics2D();
        paint(g);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new SVGProcessor().getDocument(g.getCommands(), new PageSize(0, 0, width, height)).writeTo(out);
        } catch (IOException e) {
            throw new IllegalStateException("SVG encoding failed in memory", e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Writes PNG or SVG by the file's extension (.png or .svg), whole or not at all. */
    public void write(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        byte[] bytes;
        if (name.endsWith(".png")) {
            bytes = png();
        } else if (name.endsWith(".svg")) {
            bytes = svg().getBytes(StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException(file + ": a plot is written as .png or .svg");
        }
        WholeFile.write(file, out -> out.write(bytes));
    }
}
