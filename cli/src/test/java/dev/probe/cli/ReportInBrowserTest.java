package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reports opened in headless Chromium (Debian package chromium; scripts/test.sh installs it): the
 * page loads with no console error, every image decodes, and a screenshot is kept under
 * cli/target/report-screenshots.
 */
class ReportInBrowserTest {

    private static final Path SHOTS = Path.of("target", "report-screenshots");

    /** Records console errors, failed loads and CSP refusals, then writes what it saw into the page. */
    private static final String PROBE = "<script>window.__errors=[];"
            + "(function(){var e=console.error;console.error=function(){window.__errors.push(Array.from(arguments).join(' '));"
            + "e.apply(console,arguments);};})();"
            + "window.addEventListener('error',function(ev){window.__errors.push('error: '+(ev.message||"
            + "(ev.target&&ev.target.tagName?'could not load a '+ev.target.tagName:'?')));},true);"
            + "document.addEventListener('securitypolicyviolation',function(ev){window.__errors.push('refused by the page policy: '"
            + "+ev.violatedDirective+' '+ev.blockedURI);});"
            + "window.addEventListener('load',function(){var im=document.images,bad=0;for(var i=0;i<im.length;i++){"
            + "if(!im[i].complete||im[i].naturalWidth===0)bad++;}var p=document.createElement('pre');p.id='probe-check';"
            + "p.textContent=JSON.stringify({images:im.length,broken:bad,errors:window.__errors});document.body.appendChild(p);});"
            + "</script>";

    @TempDir
    Path dir;

    @Test
    void rmhMixtureReportShowsTracesRhatAndACornerPlot() throws Exception {
        Path html = dir.resolve("r.html");
        CliTest.Result r = CliTest.probe("infer", "builtin:mixture", "--observe", "x=[-2,-2.1,2,2.2,1.9,-1.8]", "--engine", "rmh",
                "--traces", "4000", "--seed", "1", "--quiet", "--report", html.toString());
        assertEquals(0, r.code(), r.err());
        String page = Files.readString(html);
        assertTrue(page.contains("R-hat of mu0"), "R-hat in the report");
        assertTrue(page.contains("alt=\"Traces of mu0\""), "traces in the report");
        assertTrue(page.contains("alt=\"Corner plot of"), "a corner plot in the report");
        // Marginals of mu0 and mu1, the corner plot, a trace plot each.
        assertRenders(html, "rmh-mixture", 5);
    }

    @Test
    void importanceSamplingReportShowsTheWeights() throws Exception {
        Path saved = dir.resolve("is.probe");
        CliTest.Result r = CliTest.probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "5000",
                "--seed", "2", "--quiet", "--save", saved.toString());
        assertEquals(0, r.code(), r.err());
        Path html = dir.resolve("is.html");
        CliTest.Result rep = CliTest.probe("report", saved.toString(), "--out", html.toString());
        assertEquals(0, rep.code(), rep.err());
        assertTrue(Files.readString(html).contains("Pareto k-hat of the weights"));
        assertRenders(html, "is-gaussian", 2);
    }

    @Test
    void networkReportShowsTheTrainingCurves() throws Exception {
        Path net = Files.createDirectories(dir.resolve("net"));
        StringBuilder history = new StringBuilder();
        for (int i = 1; i <= 10; i++) {
            history.append(i > 1 ? "," : "").append(String.format(java.util.Locale.ROOT,
                    "{\"traces\":%d,\"train_loss\":%.3f,\"valid_loss\":%.3f}", 1000 * i, 3.0 / i + 1, 3.2 / i + 1.1));
        }
        Files.writeString(net.resolve("network.json"), "{\"format\":\"probe-network\",\"version\":1,\"model\":{\"label\":"
                + "\"builtin:gaussian\",\"identity\":\"java x\"},\"training\":{\"traces\":10000,\"history\":[" + history + "]}}");
        Path html = dir.resolve("net.html");
        CliTest.Result rep = CliTest.probe("report", net.toString(), "--out", html.toString());
        assertEquals(0, rep.code(), rep.err());
        assertTrue(Files.readString(html).contains("still improving"));
        assertRenders(html, "network", 1);
    }

    @Test
    void calibrationReportShowsTheRankHistograms() throws Exception {
        Path result = dir.resolve("cal.json");
        CliTest.Result r = CliTest.probe("calibrate", "builtin:gaussian", "--runs", "100", "--traces", "500", "--seed", "3",
                "--out", result.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        Path html = dir.resolve("cal.html");
        CliTest.Result rep = CliTest.probe("report", result.toString(), "--out", html.toString());
        assertEquals(0, rep.code(), rep.err());
        assertTrue(Files.readString(html).contains("ranks of mu"));
        assertRenders(html, "calibration", 1);
    }

    @Test
    void theCheckSeesABrokenImageAndAScriptError() throws Exception {
        Path html = dir.resolve("broken.html");
        Files.writeString(html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>x</title></head><body>"
                + "<img alt=\"bad\" src=\"data:image/png;base64,AAAA\"><script>undefinedFunction();</script></body></html>");
        JsonNode seen = check(html, "broken");
        assertEquals(1, seen.get("broken").asInt(), seen.toString());
        assertTrue(seen.get("errors").size() >= 1, seen.toString());
    }

    /** Opens the page in headless Chromium: at least {@code images} images, none broken, no errors; keeps a screenshot. */
    private void assertRenders(Path html, String name, int images) throws Exception {
        JsonNode seen = check(html, name);
        assertEquals(0, seen.get("errors").size(), "console errors: " + seen);
        assertEquals(0, seen.get("broken").asInt(), "broken images: " + seen);
        assertTrue(seen.get("images").asInt() >= images, "images: " + seen);
        Files.createDirectories(SHOTS);
        Path shot = SHOTS.resolve(name + ".png").toAbsolutePath();
        Files.deleteIfExists(shot);
        chromium(List.of("--screenshot=" + shot, "--window-size=1100,2400", html.toUri().toString()));
        assertTrue(Files.size(shot) > 10_000, "a screenshot of the page");
    }

    /** What the page showed Chromium: {images, broken, errors}. */
    private JsonNode check(Path html, String name) throws Exception {
        String page = Files.readString(html);
        // The check needs a script, which the page's own policy forbids: the checked copy allows inline scripts only.
        String checked = page.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
                .replaceFirst("<head>", "<head>" + Matcher.quoteReplacement(PROBE));
        Path copy = dir.resolve(name + "-checked.html");
        Files.writeString(copy, checked);
        String dom = chromium(List.of("--dump-dom", copy.toUri().toString()));
        Matcher m = Pattern.compile("<pre id=\"probe-check\">(.*?)</pre>", Pattern.DOTALL).matcher(dom);
        assertTrue(m.find(), "the page never finished loading:\n" + dom.substring(0, Math.min(500, dom.length())));
        return Json.MAPPER.readTree(m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
    }

    private String chromium(List<String> args) throws IOException, InterruptedException {
        String exe = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : "chromium";
        List<String> command = new ArrayList<>(List.of(exe, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars", "--virtual-time-budget=10000",
                "--user-data-dir=" + dir.resolve("chromium-profile")));
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(dir.resolve("chromium.out").toFile())
                    .redirectError(dir.resolve("chromium.err").toFile()).start();
        } catch (IOException e) {
            throw new IOException("headless Chromium is needed to check reports: apt-get install chromium"
                    + " (scripts/test.sh installs it)", e);
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Chromium did not finish within 2 minutes");
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(dir.resolve("chromium.err")));
        return Files.readString(dir.resolve("chromium.out"), StandardCharsets.UTF_8);
    }
}
