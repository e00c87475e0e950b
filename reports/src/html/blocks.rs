//! The report's [`Document`](crate::document::Document) blocks as HTML elements: headings,
//! paragraphs, tables (number columns right-aligned by the `num` class), lists, and the inline
//! spans as `<strong>` and `<code>`. All text is escaped here, so no name or note in a summary can
//! add markup to the page.

use std::fmt::Write as _;

use super::escape;
use crate::document::{Align, Block, Span, Table, Text};

/// Appends one block. The page itself places the level-2 headings (they open sections) and the
/// charts; here they are written plainly and left out, respectively.
pub(super) fn write_block(out: &mut String, block: &Block) {
    match block {
        Block::Heading { level, text } => {
            let _ = writeln!(out, "<h{level}>{}</h{level}>", inline(text));
        }
        Block::Paragraph(text) => {
            let _ = writeln!(out, "<p>{}</p>", inline(text));
        }
        Block::Table(table) => write_table(out, table),
        Block::List(items) => {
            out.push_str("<ul>\n");
            for item in items {
                let _ = writeln!(out, "<li>{}</li>", inline(item));
            }
            out.push_str("</ul>\n");
        }
        Block::Charts => {}
    }
}

/// Inline text: each span escaped, strong and code spans in their elements.
pub(super) fn inline(text: &Text) -> String {
    let mut out = String::new();
    for span in &text.spans {
        match span {
            Span::Plain(t) => out.push_str(&escape(t)),
            Span::Strong(t) => {
                let _ = write!(out, "<strong>{}</strong>", escape(t));
            }
            Span::Code(t) => {
                let _ = write!(out, "<code>{}</code>", escape(t));
            }
        }
    }
    out
}

fn write_table(out: &mut String, table: &Table) {
    let class: Vec<&str> = table
        .columns
        .iter()
        .map(|c| match c.align {
            Align::Left => "",
            Align::Right => " class=\"num\"",
        })
        .collect();
    out.push_str("<table>\n<thead><tr>");
    for (c, class) in table.columns.iter().zip(&class) {
        let _ = write!(out, "<th{class}>{}</th>", escape(&c.head));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            // A row never has more cells than columns; one that did would still show, unaligned.
            let class = class.get(i).copied().unwrap_or("");
            let _ = write!(out, "<td{class}>{}</td>", inline(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;

    fn html(doc: &Document) -> String {
        let mut out = String::new();
        for b in &doc.blocks {
            write_block(&mut out, b);
        }
        out
    }

    #[test]
    fn tables_keep_alignment_and_escape_their_cells() {
        let mut doc = Document::default();
        doc.table(&[("Name", Align::Left), ("Count", Align::Right)], vec![vec!["a|b <x>", "1,000"]]);
        let html = html(&doc);
        assert!(html.contains("<th>Name</th><th class=\"num\">Count</th>"), "{html}");
        assert!(html.contains("<td>a|b &lt;x&gt;</td><td class=\"num\">1,000</td>"), "{html}");
    }

    #[test]
    fn code_and_strong_spans_become_tags_and_markup_in_text_stays_text() {
        let t = Text::code("a=1").then(", ").then(Text::strong("yes")).then(" & <no>");
        assert_eq!(inline(&t), "<code>a=1</code>, <strong>yes</strong> &amp; &lt;no&gt;");
        // Markdown's markup characters in a name are the name's, not emphasis.
        assert_eq!(inline(&Text::plain("**x** `y`")), "**x** `y`");
    }

    #[test]
    fn headings_paragraphs_and_lists() {
        let mut doc = Document::default();
        doc.paragraph("text");
        doc.heading(3, "Sweep: x");
        doc.list(vec![Text::plain("n")]);
        assert_eq!(html(&doc), "<p>text</p>\n<h3>Sweep: x</h3>\n<ul>\n<li>n</li>\n</ul>\n");
    }
}
