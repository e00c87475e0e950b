//! The report as a document: the blocks that `report.md` and `report.html` both show, built once
//! from a [`Summary`](crate::Summary) by [`crate::sections`] and then written out by
//! [`crate::markdown`] and [`crate::html`].
//!
//! The model holds what a reader sees, not how one format spells it: emphasis and code are spans
//! of a [`Text`], never `**` or backticks in a string, so neither renderer parses the other's
//! output and a name that contains markup characters is shown as it is.

/// One run of inline text with a single style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Span {
    /// Ordinary text.
    Plain(String),
    /// Text the reader must not miss (a failed verdict, a row label).
    Strong(String),
    /// Literal text: an expression, a parameter, a flag, a series name.
    Code(String),
}

impl Span {
    /// The text without its style.
    pub(crate) fn text(&self) -> &str {
        match self {
            Span::Plain(t) | Span::Strong(t) | Span::Code(t) => t,
        }
    }
}

/// Inline text: spans in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text {
    /// The spans, in order.
    pub(crate) spans: Vec<Span>,
}

impl Text {
    /// Text in one style.
    fn single(span: Span) -> Text {
        Text { spans: vec![span] }
    }

    /// Ordinary text.
    pub(crate) fn plain(text: impl Into<String>) -> Text {
        Text::single(Span::Plain(text.into()))
    }

    /// Strong text.
    pub(crate) fn strong(text: impl Into<String>) -> Text {
        Text::single(Span::Strong(text.into()))
    }

    /// Literal text.
    pub(crate) fn code(text: impl Into<String>) -> Text {
        Text::single(Span::Code(text.into()))
    }

    /// This text followed by `more`.
    pub(crate) fn then(mut self, more: impl Into<Text>) -> Text {
        self.spans.extend(more.into().spans);
        self
    }

    /// The texts with `separator` (ordinary text) between them.
    pub(crate) fn join(parts: impl IntoIterator<Item = Text>, separator: &str) -> Text {
        let mut out = Text::default();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out.spans.push(Span::Plain(separator.to_string()));
            }
            out.spans.extend(part.spans);
        }
        out
    }

    /// The text without styles, for places that take no markup (an anchor, a link label).
    pub(crate) fn plain_text(&self) -> String {
        self.spans.iter().map(Span::text).collect()
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::plain(text)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::plain(text)
    }
}

/// How a table column lines up its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text columns.
    Left,
    /// Number columns.
    Right,
}

/// One table column: its heading and alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    /// The heading cell (plain: no report heads a column with markup).
    pub(crate) head: String,
    /// How the column's cells line up.
    pub(crate) align: Align,
}

/// A table: columns and rows of cells, one cell per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    /// The columns, left to right.
    pub(crate) columns: Vec<Column>,
    /// The body rows.
    pub(crate) rows: Vec<Vec<Text>>,
}

/// One block of the report, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// A heading: level 1 is the report's title, 2 a section, 3 a part of one.
    Heading {
        /// 1 to 3.
        level: u8,
        /// The heading text.
        text: Text,
    },
    /// A paragraph of text.
    Paragraph(Text),
    /// A table.
    Table(Table),
    /// A bulleted list, one text per item.
    List(Vec<Text>),
    /// Where a renderer that draws charts puts them; others show nothing here.
    Charts,
}

/// The whole report: its blocks in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Document {
    /// The blocks, in order.
    pub(crate) blocks: Vec<Block>,
}

impl Document {
    /// Appends a heading of `level`.
    pub(crate) fn heading(&mut self, level: u8, text: impl Into<Text>) {
        self.blocks.push(Block::Heading { level, text: text.into() });
    }

    /// Appends a paragraph.
    pub(crate) fn paragraph(&mut self, text: impl Into<Text>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }

    /// Appends a table with the columns `head` (heading, alignment) and body `rows`.
    pub(crate) fn table<C: Into<Text>>(&mut self, head: &[(&str, Align)], rows: Vec<Vec<C>>) {
        let columns =
            head.iter().map(|(h, align)| Column { head: (*h).to_string(), align: *align }).collect();
        let rows = rows.into_iter().map(|row| row.into_iter().map(Into::into).collect()).collect();
        self.blocks.push(Block::Table(Table { columns, rows }));
    }

    /// Appends a bulleted list.
    pub(crate) fn list(&mut self, items: Vec<Text>) {
        self.blocks.push(Block::List(items));
    }

    /// Marks where the charts go.
    pub(crate) fn charts(&mut self) {
        self.blocks.push(Block::Charts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_text_keeps_its_spans_and_reads_plainly() {
        let t =
            Text::join([Text::code("a=1"), Text::code("b=2")], ", ").then(" and ").then(Text::strong("x"));
        assert_eq!(
            t.spans,
            vec![
                Span::Code("a=1".into()),
                Span::Plain(", ".into()),
                Span::Code("b=2".into()),
                Span::Plain(" and ".into()),
                Span::Strong("x".into()),
            ]
        );
        assert_eq!(t.plain_text(), "a=1, b=2 and x");
        assert!(Text::join([], ", ").spans.is_empty());
    }
}
