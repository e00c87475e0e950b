//! Turns the Markdown that [`crate::markdown`] writes into HTML, so `report.html` carries exactly
//! the tables of `report.md` without computing any of them twice.
//!
//! Only the subset that renderer emits is understood: `#`/`##`/`###` headings, pipe tables (with a
//! `:---`/`---:` alignment row and `\|` escapes), `- ` lists, paragraphs, and inline `` `code` ``
//! and `**bold**`. Everything is HTML-escaped first, so a phase or tag name cannot inject markup.

use std::fmt::Write as _;

/// One `## ` section of the Markdown report: its heading (empty for the part before the first
/// heading) and its body, still Markdown.
pub(super) struct Section<'a> {
    /// The heading text without the `## `.
    pub title: &'a str,
    /// The lines under the heading.
    pub body: Vec<&'a str>,
}

/// Splits a Markdown report at its `## ` headings; the first section holds the `# ` title and
/// the run header table.
pub(super) fn sections(md: &str) -> Vec<Section<'_>> {
    let mut out = vec![Section { title: "", body: Vec::new() }];
    for line in md.lines() {
        match line.strip_prefix("## ") {
            Some(title) => out.push(Section { title, body: Vec::new() }),
            None => {
                if let Some(last) = out.last_mut() {
                    last.body.push(line);
                }
            }
        }
    }
    out
}

/// The anchor id of a section title: lowercase letters and digits, other runs as `-`.
pub(super) fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A whole section as HTML: `<section id=…><h2>…</h2>…</section>`.
pub(super) fn section_html(section: &Section<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<section id=\"{}\">", slug(section.title));
    if !section.title.is_empty() {
        let _ = writeln!(out, "<h2>{}</h2>", inline(section.title));
    }
    out.push_str(&blocks(&section.body));
    out.push_str("</section>\n");
    out
}

/// Block-level conversion of Markdown lines.
pub(super) fn blocks(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            i += 1;
        } else if let Some(h) = line.strip_prefix("### ") {
            let _ = writeln!(out, "<h3>{}</h3>", inline(h));
            i += 1;
        } else if let Some(h) = line.strip_prefix("# ") {
            let _ = writeln!(out, "<h1>{}</h1>", inline(h));
            i += 1;
        } else if line.starts_with('|') {
            let end = run_end(lines, i, |l| l.starts_with('|'));
            out.push_str(&table(&lines[i..end]));
            i = end;
        } else if line.starts_with("- ") {
            let end = run_end(lines, i, |l| l.starts_with("- "));
            out.push_str("<ul>\n");
            for item in &lines[i..end] {
                let _ = writeln!(out, "<li>{}</li>", inline(&item[2..]));
            }
            out.push_str("</ul>\n");
            i = end;
        } else {
            let end = run_end(lines, i, |l| {
                !l.trim().is_empty() && !l.starts_with('|') && !l.starts_with('#') && !l.starts_with("- ")
            });
            let text: Vec<String> = lines[i..end].iter().map(|l| inline(l)).collect();
            let _ = writeln!(out, "<p>{}</p>", text.join(" "));
            i = end;
        }
    }
    out
}

/// The index just past the run of lines from `start` that satisfy `keep` (at least one).
fn run_end(lines: &[&str], start: usize, keep: impl Fn(&str) -> bool) -> usize {
    let mut end = start + 1;
    while end < lines.len() && keep(lines[end]) {
        end += 1;
    }
    end
}

/// Splits one table row into its cells, honouring `\|` escapes.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn table(rows: &[&str]) -> String {
    let head = rows.first().map(|r| cells(r)).unwrap_or_default();
    let numeric: Vec<bool> =
        rows.get(1).map(|r| cells(r)).unwrap_or_default().iter().map(|a| a.ends_with(':')).collect();
    let class = |i: usize| if numeric.get(i).copied().unwrap_or(false) { " class=\"num\"" } else { "" };
    let mut out = String::from("<table>\n<thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let _ = write!(out, "<th{}>{}</th>", class(i), inline(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows.iter().skip(2) {
        out.push_str("<tr>");
        for (i, c) in cells(row).iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(i), inline(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Inline Markdown: `` `code` `` (taken literally) and `**bold**`; all text escaped.
pub(super) fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        // Odd parts sit between backticks. An unmatched trailing backtick leaves an odd count of
        // parts; its text is still shown, just as code.
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            for (j, plain) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(out, "<strong>{}</strong>", escape(plain));
                } else {
                    out.push_str(&escape(plain));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_keep_alignment_and_escaped_pipes() {
        let html = blocks(&["| Name | Count |", "| :--- | ---: |", "| a\\|b <x> | 1,000 |"]);
        assert!(html.contains("<th>Name</th><th class=\"num\">Count</th>"), "{html}");
        assert!(html.contains("<td>a|b &lt;x&gt;</td><td class=\"num\">1,000</td>"), "{html}");
    }

    #[test]
    fn inline_code_and_bold_become_tags() {
        assert_eq!(
            inline("`a=1`, **yes** & <no>"),
            "<code>a=1</code>, <strong>yes</strong> &amp; &lt;no&gt;"
        );
    }

    #[test]
    fn sections_split_at_level_two_headings() {
        let s = sections("# T\n\n| a |\n## Phases\n\ntext\n### Sweep: x\n- n\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].title, "Phases");
        let html = section_html(&s[1]);
        assert!(
            html.starts_with("<section id=\"phases\">\n<h2>Phases</h2>\n<p>text</p>\n<h3>Sweep: x</h3>"),
            "{html}"
        );
        assert!(html.contains("<ul>\n<li>n</li>\n</ul>"), "{html}");
        assert_eq!(slug("Latency per phase (ms)"), "latency-per-phase-ms");
    }
}
