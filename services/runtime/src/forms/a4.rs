//! The paper every printed form is set up for: A4, every column on one page's
//! width, centred, the caption and heading repeated where a table runs on,
//! and page numbers in the footer — one set-up, so the register, the funds'
//! vouchers and receipts and the campaign's summaries print alike.

use rust_xlsxwriter::{Worksheet, XlsxError};

/// The page footer of every form: 第 x 页，共 y 页, centred.
pub const PAGE_NUMBERS: &str = "&C第 &P 页，共 &N 页";

/// The left and right margins, in inches — narrow, for the register's many
/// columns ([`Orientation::printable_width`] is inside them).
const SIDE_MARGIN: f64 = 0.4;

/// The sides of an A4 sheet in inches.
const A4_WIDTH: f64 = 8.27;
const A4_HEIGHT: f64 = 11.69;

/// Which way up the sheet prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Upright: a form filled in by hand (a receipt, a summary page).
    Portrait,
    /// Across: a table with many columns (the register, a list of vouchers).
    Landscape,
}

impl Orientation {
    /// The printable width in inches, inside the side margins.
    pub fn printable_width(self) -> f64 {
        let paper = match self {
            Orientation::Portrait => A4_WIDTH,
            Orientation::Landscape => A4_HEIGHT,
        };
        paper - 2.0 * SIDE_MARGIN
    }
}

/// Sets `sheet` up as a form named `name`: A4 `orientation`, the margins,
/// fitted to one page wide (as many pages long as it takes), centred, page
/// numbers in the footer, and the column widths, first column first.
pub fn a4_sheet(
    sheet: &mut Worksheet,
    name: &str,
    orientation: Orientation,
    widths: &[f64],
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    sheet.set_paper_size(9); // A4
    match orientation {
        Orientation::Portrait => sheet.set_portrait(),
        Orientation::Landscape => sheet.set_landscape(),
    };
    sheet.set_margins(SIDE_MARGIN, SIDE_MARGIN, 0.7, 0.7, 0.3, 0.3);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_print_center_horizontally(true);
    sheet.set_footer(PAGE_NUMBERS);
    for (col, width) in (0u16..).zip(widths) {
        sheet.set_column_width(col, *width)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn across_the_sheet_prints_wider_than_upright() {
        assert!(Orientation::Landscape.printable_width() > Orientation::Portrait.printable_width());
        assert!((Orientation::Landscape.printable_width() - 10.89).abs() < 1e-9);
    }

    #[test]
    fn a_form_is_named_and_its_columns_set() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        assert!(a4_sheet(sheet, "汇总表", Orientation::Landscape, &[6.0, 20.0]).is_ok());
        assert_eq!(sheet.name(), "汇总表");
        assert!(
            a4_sheet(
                book.add_worksheet(),
                "a name far longer than a sheet may have",
                Orientation::Portrait,
                &[]
            )
            .is_err(),
            "a bad name is the caller's error, not a silent default"
        );
    }
}
