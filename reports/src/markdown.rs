//! `report.md`: the report's document (its sections, built from the summary) written as Markdown
//! (pipe tables, `**strong**`, `` `code` ``), readable as plain text and rendered as-is by the
//! usual forges.
//!
//! Text is written as it is, so a report reads like the hand-made reports it replaces; only what
//! would break a block is changed: a `|` in a table cell is escaped, and a line break in a cell or
//! a list item becomes a space.

use std::fmt::Write as _;

use crate::document::{Align, Block, Document, Span, Table, Text};
use crate::model::Summary;

/// Renders the whole `report.md`.
pub fn render_markdown(summary: &Summary) -> String {
    write(&crate::sections::document(summary))
}

/// A document as Markdown: every block followed by a blank line; the charts' place is empty.
pub(crate) fn write(doc: &Document) -> String {
    let mut out = String::new();
    for block in &doc.blocks {
        match block {
            Block::Heading { level, text } => {
                let _ = writeln!(out, "{} {}\n", "#".repeat(usize::from(*level)), inline(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "{}\n", inline(text));
            }
            Block::Table(table) => write_table(&mut out, table),
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", one_line(&inline(item)));
                }
                out.push('\n');
            }
            Block::Charts => {}
        }
    }
    out
}

/// Inline text with its spans marked up.
fn inline(text: &Text) -> String {
    let mut out = String::new();
    for span in &text.spans {
        match span {
            Span::Plain(t) => out.push_str(t),
            Span::Strong(t) => {
                let _ = write!(out, "**{t}**");
            }
            Span::Code(t) => {
                let _ = write!(out, "`{t}`");
            }
        }
    }
    out
}

/// A line break would end a table row or a list item early.
fn one_line(text: &str) -> String {
    text.replace('\n', " ")
}

/// A cell escaped so a `|` in a name cannot break the table's layout.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

fn write_table(out: &mut String, table: &Table) {
    let row = |out: &mut String, cells: Vec<String>| {
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    };
    row(out, table.columns.iter().map(|c| cell(&c.head)).collect());
    row(
        out,
        table
            .columns
            .iter()
            .map(|c| match c.align {
                Align::Left => ":---".to_string(),
                Align::Right => "---:".to_string(),
            })
            .collect(),
    );
    for cells in &table.rows {
        row(out, cells.iter().map(|c| cell(&inline(c))).collect());
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_written_with_their_markup() {
        let mut doc = Document::default();
        doc.heading(2, Text::plain("Kept (").then(Text::code("--keep")).then(")"));
        doc.paragraph(Text::strong("1 of 2 failed."));
        doc.charts();
        doc.table(&[("Name", Align::Left), ("Count", Align::Right)], vec![vec!["a|b\nc", "1,000"]]);
        doc.list(vec![Text::plain("two\nlines")]);
        assert_eq!(
            write(&doc),
            "## Kept (`--keep`)\n\n**1 of 2 failed.**\n\n\
             | Name | Count |\n| :--- | ---: |\n| a\\|b c | 1,000 |\n\n- two lines\n\n"
        );
    }
}
