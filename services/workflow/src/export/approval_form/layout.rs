//! The grid of the paper form: eight bordered columns on A4 portrait, label
//! and value cells, merged spans, and row heights worked out from the text
//! each row holds — Excel does not grow a row for wrapped text in merged
//! cells, so a long description would otherwise print cut off.

use std::collections::BTreeMap;

use relief_runtime::forms::{PAGE_NUMBERS, beijing_minute};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Worksheet, XlsxError};
use time::{Date, OffsetDateTime};

/// The last column of the grid (eight columns: a label column, then seven).
pub(super) const LAST_COL: u16 = 7;

/// Column widths in Excel's character units: 7w + 5 pixels each, 649 px
/// in all, inside the 679 px A4 leaves between 0.6-inch margins, so the
/// form prints at full size. The label columns hold six characters on one
/// line; the last is wide enough for a phone number or an amount on its
/// own (a number too wide for its cell prints as `###`).
const WIDTHS: [f64; 8] = [12.0, 12.0, 9.0, 11.0, 10.0, 11.0, 10.0, 12.0];

/// Left and right page margins, inches.
const SIDE_MARGIN: f64 = 0.6;
/// Top and bottom page margins, inches.
const END_MARGIN: f64 = 0.5;
/// The height A4 leaves for the grid between the margins, points: what a
/// usual case must fit in to print at full size (checked by the tests).
#[cfg(test)]
pub(super) const PRINTABLE_POINTS: f64 = (11.69 - 2.0 * END_MARGIN) * 72.0;

/// Every cell's font size: 五号 (10.5 pt), the size of official Chinese
/// documents — read and filled by hand, and small enough that a whole
/// case fits one A4 sheet at full size.
const POINTS: f64 = 10.5;
/// A printed line of 10.5-pt text, with leading.
const LINE_POINTS: f64 = 14.0;
/// Space above and below the text of a cell.
const PAD_POINTS: f64 = 6.0;
/// The lowest row: room for handwriting.
pub(super) const ROW_POINTS: f64 = 20.0;
/// A signature line: room to sign and to press a seal beside it.
pub(super) const SIGN_POINTS: f64 = 26.0;
/// A wide (CJK) character of 10.5-pt 宋体 in pixels; ASCII takes half.
const WIDE_PIXELS: f64 = 14.0;
/// A cell's padding, pixels, left and right together.
const CELL_PADDING: f64 = 4.0;

/// A date not yet known, for filling in by hand.
pub(super) const BLANK_DATE: &str = "　　　　年　　月　　日";

/// A date as every form writes it: `2026-01-10`; blank spaces when unknown.
pub(super) fn date_or_blank(date: Option<Date>) -> String {
    date.map_or_else(|| BLANK_DATE.to_owned(), |d| d.to_string())
}

pub(super) struct Formats {
    title: Format,
    /// Lines outside the grid (填报单位, 编号).
    plain: Format,
    plain_right: Format,
    label: Format,
    /// A short value, centred.
    value: Format,
    /// Long text: wrapped from the top left.
    body: Format,
    /// The signature, seal and date line of an opinion block.
    sign: Format,
    pub(super) money: Format,
    pub(super) people: Format,
    pub(super) age: Format,
}

impl Formats {
    fn new() -> Self {
        let font = Format::new().set_font_name("宋体").set_font_size(POINTS);
        let bordered = font
            .clone()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        let centred = bordered.clone().set_align(FormatAlign::Center);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_name("黑体")
                .set_font_size(18)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            plain: font.clone().set_align(FormatAlign::VerticalCenter),
            plain_right: font
                .set_align(FormatAlign::Right)
                .set_align(FormatAlign::VerticalCenter),
            label: centred.clone().set_bold(),
            value: centred.clone(),
            body: bordered
                .clone()
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::Top),
            sign: bordered
                .set_align(FormatAlign::Right)
                .set_align(FormatAlign::Bottom),
            money: centred.clone().set_num_format("#,##0.00\"元\""),
            people: centred.clone().set_num_format("0\"人\""),
            age: centred.set_num_format("0"),
        }
    }
}

/// The sheet being written, the row reached, and the height each row needs.
pub(super) struct Grid<'a> {
    sheet: &'a mut Worksheet,
    pub(super) formats: Formats,
    /// The next free row.
    row: u32,
    heights: BTreeMap<u32, f64>,
}

impl<'a> Grid<'a> {
    /// A4 portrait, centred, page numbers and the print time in the footer;
    /// no screen gridlines, so it looks like the paper. Fitted to one page
    /// wide and one tall: the form is filed as one sheet, and a case with a
    /// long description had better print a little smaller than split the
    /// signatures from the facts they sign (a usual case fits at full size).
    pub(super) fn new(
        sheet: &'a mut Worksheet,
        printed_at: OffsetDateTime,
    ) -> Result<Self, XlsxError> {
        sheet.set_name("审批表")?;
        sheet.set_paper_size(9); // A4
        sheet.set_portrait();
        sheet.set_margins(SIDE_MARGIN, SIDE_MARGIN, END_MARGIN, END_MARGIN, 0.25, 0.25);
        sheet.set_print_fit_to_pages(1, 1);
        sheet.set_print_center_horizontally(true);
        sheet.set_screen_gridlines(false);
        sheet.set_footer(format!(
            "&L打印时间：{}（北京时间）{PAGE_NUMBERS}",
            beijing_minute(printed_at)
        ));
        for (col, width) in WIDTHS.into_iter().enumerate() {
            sheet.set_column_width(col as u16, width)?;
        }
        Ok(Grid {
            sheet,
            formats: Formats::new(),
            row: 0,
            heights: BTreeMap::new(),
        })
    }

    /// Starts a row at least `points` high and returns it.
    pub(super) fn next_row(&mut self, points: f64) -> u32 {
        let row = self.row;
        self.row += 1;
        self.need(row, points);
        row
    }

    fn need(&mut self, row: u32, points: f64) {
        let height = self.heights.entry(row).or_insert(0.0);
        *height = height.max(points);
    }

    /// The title across the page.
    pub(super) fn title(&mut self, row: u32, text: &str) -> Result<(), XlsxError> {
        self.need(row, 28.0);
        self.sheet
            .merge_range(row, 0, row, LAST_COL, text, &self.formats.title)?;
        Ok(())
    }

    /// A line above the grid, left (`right == false`) or right aligned.
    pub(super) fn line(
        &mut self,
        row: u32,
        cols: (u16, u16),
        text: &str,
        right: bool,
    ) -> Result<(), XlsxError> {
        let format = if right {
            &self.formats.plain_right
        } else {
            &self.formats.plain
        };
        put(self.sheet, (row, cols.0), (row, cols.1), text, format)
    }

    /// A label cell in one row.
    pub(super) fn label(
        &mut self,
        row: u32,
        cols: (u16, u16),
        text: &str,
    ) -> Result<(), XlsxError> {
        self.fit(row, cols, text);
        put(
            self.sheet,
            (row, cols.0),
            (row, cols.1),
            text,
            &self.formats.label,
        )
    }

    /// A label over rows `rows.0..=rows.1` — a block's name in the first column.
    pub(super) fn block_label(&mut self, rows: (u32, u32), text: &str) -> Result<(), XlsxError> {
        put(
            self.sheet,
            (rows.0, 0),
            (rows.1, 0),
            text,
            &self.formats.label,
        )
    }

    /// A short value, centred.
    pub(super) fn value(
        &mut self,
        row: u32,
        cols: (u16, u16),
        text: &str,
    ) -> Result<(), XlsxError> {
        self.fit(row, cols, text);
        put(
            self.sheet,
            (row, cols.0),
            (row, cols.1),
            text,
            &self.formats.value,
        )
    }

    /// Long text from the top left, at least `min_lines` lines high (the
    /// room left for handwriting when it is empty).
    pub(super) fn body(
        &mut self,
        row: u32,
        cols: (u16, u16),
        text: &str,
        min_lines: u32,
    ) -> Result<(), XlsxError> {
        self.fit(row, cols, text);
        self.need(row, f64::from(min_lines) * LINE_POINTS + PAD_POINTS);
        put(
            self.sheet,
            (row, cols.0),
            (row, cols.1),
            text,
            &self.formats.body,
        )
    }

    /// The signature, seal and date line of a block, right-aligned over the
    /// value columns, high enough to sign in.
    pub(super) fn sign(&mut self, row: u32, text: &str) -> Result<(), XlsxError> {
        self.need(row, SIGN_POINTS);
        put(
            self.sheet,
            (row, 1),
            (row, LAST_COL),
            text,
            &self.formats.sign,
        )
    }

    /// A number in `format` (money, people, age); `None` prints `hidden`.
    pub(super) fn number(
        &mut self,
        row: u32,
        cols: (u16, u16),
        value: Option<f64>,
        hidden: &str,
        format: &Format,
    ) -> Result<(), XlsxError> {
        match value {
            Some(number) => {
                put(self.sheet, (row, cols.0), (row, cols.1), "", format)?;
                // Over a merged range, the number goes into its first cell.
                self.sheet
                    .write_number_with_format(row, cols.0, number, format)?;
                Ok(())
            }
            None => self.value(row, cols, hidden),
        }
    }

    /// An amount in fen as yuan with two decimals (`1,500.00元`), a number
    /// the sheet can read; `None` is an amount the reader may not see.
    pub(super) fn money(
        &mut self,
        row: u32,
        cols: (u16, u16),
        fen: Option<i64>,
    ) -> Result<(), XlsxError> {
        // Display only: converted once for the sheet, never summed.
        let yuan = fen.map(|fen| fen as f64 / 100.0);
        let format = self.formats.money.clone();
        self.number(row, cols, yuan, HIDDEN, &format)
    }

    /// Sets every row's height and the print area to the grid; returns the
    /// grid's height in points.
    pub(super) fn finish(self) -> Result<f64, XlsxError> {
        for (row, points) in &self.heights {
            self.sheet.set_row_height(*row, *points)?;
        }
        let last = self.row.saturating_sub(1);
        self.sheet.set_print_area(0, 0, last, LAST_COL)?;
        Ok(self.heights.values().sum())
    }

    /// Records the height `text` needs in columns `cols` of `row`.
    fn fit(&mut self, row: u32, cols: (u16, u16), text: &str) {
        let lines = lines(text, span_pixels(cols));
        self.need(row, f64::from(lines) * LINE_POINTS + PAD_POINTS);
    }
}

/// What a hidden amount prints.
pub(super) const HIDDEN: &str = "（已隐藏）";

/// Writes `text` over a range, or into one cell when the range is a cell
/// (rust_xlsxwriter refuses a one-cell merge).
fn put(
    sheet: &mut Worksheet,
    (first_row, first_col): (u32, u16),
    (last_row, last_col): (u32, u16),
    text: &str,
    format: &Format,
) -> Result<(), XlsxError> {
    if (first_row, first_col) == (last_row, last_col) {
        sheet.write_string_with_format(first_row, first_col, text, format)?;
    } else {
        sheet.merge_range(first_row, first_col, last_row, last_col, text, format)?;
    }
    Ok(())
}

/// The printable width of columns `cols`, pixels, less the cell's padding.
fn span_pixels((first, last): (u16, u16)) -> f64 {
    let width: f64 = WIDTHS[usize::from(first)..=usize::from(last)]
        .iter()
        .map(|w| 7.0 * w + 5.0)
        .sum();
    width - CELL_PADDING
}

/// Lines `text` wraps into in `pixels`: each paragraph at least one.
pub(super) fn lines(text: &str, pixels: f64) -> u32 {
    text.split('\n')
        .map(|paragraph| {
            let width: f64 = paragraph
                .chars()
                .map(|c| {
                    if c.is_ascii() {
                        WIDE_PIXELS / 2.0
                    } else {
                        WIDE_PIXELS
                    }
                })
                .sum();
            ((width / pixels).ceil() as u32).max(1)
        })
        .sum()
}
