//! Rejections over time, drawn: a line of block characters for the
//! terminal, and an SVG bar chart for `--plot` (self-contained: no script,
//! no external font or style, so it opens anywhere and leaks nothing).

/// Minutes folded into at most `width` buckets: `(start, 401s, 403s)`.
fn buckets(timeline: &[(i64, u64, u64)], width: usize) -> Vec<(i64, u64, u64)> {
    if timeline.is_empty() || width == 0 {
        return Vec::new();
    }
    let per = timeline.len().div_ceil(width);
    timeline
        .chunks(per)
        .map(|c| {
            (
                c[0].0,
                c.iter().map(|x| x.1).sum(),
                c.iter().map(|x| x.2).sum(),
            )
        })
        .collect()
}

/// The rejections (401 and 403 together) as one line of `▁▂▃▄▅▆▇█`, at
/// most `width` characters, a space for none; and the minutes per
/// character.
pub fn sparkline(timeline: &[(i64, u64, u64)], width: usize) -> (String, usize) {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let b = buckets(timeline, width);
    let max = b.iter().map(|x| x.1 + x.2).max().unwrap_or(0);
    let line = b
        .iter()
        .map(|x| match x.1 + x.2 {
            0 => ' ',
            n => BARS[((n * 8 - 1) / max.max(1)).min(7) as usize],
        })
        .collect();
    (line, timeline.len().div_ceil(width.max(1)).max(1))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn time(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// An SVG bar chart of 401s (red) and 403s (orange) stacked per bucket,
/// with the time axis and the largest bucket labelled.
pub fn svg(timeline: &[(i64, u64, u64)], title: &str) -> String {
    const W: f64 = 960.0;
    const H: f64 = 320.0;
    const LEFT: f64 = 60.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 50.0;
    let b = buckets(timeline, 240);
    let max = b.iter().map(|x| x.1 + x.2).max().unwrap_or(0).max(1);
    let per = timeline.len().div_ceil(240).max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let bar = plot_w / b.len().max(1) as f64;
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<title>{t}</title>
<rect width="{W}" height="{H}" fill="#fff"/>
<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{t}</text>
<text x="{lx}" y="22" fill="#c0392b">■ 401</text><text x="{ox}" y="22" fill="#e67e22">■ 403</text>
<text x="{LEFT}" y="{cap}" fill="#555">{per} min per bar</text>
"##,
        t = escape(title),
        lx = W - RIGHT - 110.0,
        ox = W - RIGHT - 55.0,
        cap = H - 8.0,
    );
    let y0 = TOP + plot_h;
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{x2}\" y2=\"{y0}\" stroke=\"#333\"/>\n<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{y0}\" stroke=\"#333\"/>\n<text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text>\n<text x=\"{tx}\" y=\"{y0}\" text-anchor=\"end\">0</text>\n",
        x2 = W - RIGHT,
        tx = LEFT - 6.0,
        ty = TOP + 4.0,
    ));
    for (i, (t, n401, n403)) in b.iter().enumerate() {
        let x = LEFT + i as f64 * bar;
        let h401 = plot_h * *n401 as f64 / max as f64;
        let h403 = plot_h * *n403 as f64 / max as f64;
        let w = (bar - 1.0).max(0.5);
        if *n401 > 0 {
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h401:.1}\" fill=\"#c0392b\"><title>{} 401: {n401}</title></rect>\n",
                y0 - h401,
                time(*t)
            ));
        }
        if *n403 > 0 {
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h403:.1}\" fill=\"#e67e22\"><title>{} 403: {n403}</title></rect>\n",
                y0 - h401 - h403,
                time(*t)
            ));
        }
    }
    if let (Some(first), Some(last)) = (b.first(), b.last()) {
        let mid = &b[b.len() / 2];
        for (x, anchor, t) in [
            (LEFT, "start", first.0),
            (LEFT + plot_w / 2.0, "middle", mid.0),
            (W - RIGHT, "end", last.0),
        ] {
            out.push_str(&format!(
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\">{} UTC</text>\n",
                y0 + 18.0,
                time(t)
            ));
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_and_the_chart_follow_the_counts() {
        let t: Vec<(i64, u64, u64)> = (0..10)
            .map(|m| {
                (
                    1_800_000_000 + m * 60,
                    if m == 7 { 80 } else { 2 },
                    u64::from(m == 3),
                )
            })
            .collect();
        let (line, per) = sparkline(&t, 60);
        assert_eq!(per, 1);
        assert_eq!(line.chars().count(), 10);
        assert_eq!(line.chars().nth(7), Some('█'));
        assert_eq!(line.chars().next(), Some('▁'));
        // Folded: 10 minutes into 5 characters of 2 minutes.
        let (line, per) = sparkline(&t, 5);
        assert_eq!((line.chars().count(), per), (5, 2));
        let svg = svg(&t, "401 & 403 <per minute>");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("401 &amp; 403 &lt;per minute&gt;"));
        assert_eq!(svg.matches("fill=\"#c0392b\"><title>").count(), 10);
        assert_eq!(svg.matches("fill=\"#e67e22\"><title>").count(), 1);
        assert!(svg.contains(">80</text>"), "the largest bar is labelled");
        assert!(!svg.contains("<script") && !svg.contains("href"));
        assert!(sparkline(&[], 10).0.is_empty());
    }
}
