"""Helpers for files people open in spreadsheets."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils.functional import Promise

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """The cell text, with a leading apostrophe where a spreadsheet would see a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so Excel reads the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    filename: str, title: str, header: list[str], rows: Iterable[Iterable]
) -> HttpResponse:
    """A one-sheet workbook. Text cells are neutralised like CSV cells; numbers and dates
    keep their type so the sheet can sum and sort them."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(title))
    sheet.freeze_panes = "C2"
    bold = Font(bold=True)
    sheet.append([_header_cell(sheet, text, bold) for text in header])
    for row in rows:
        sheet.append([_xlsx_value(cell) for cell in row])
    buffer = BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_value(value):
    """Strings neutralised and stripped of the control characters a workbook cannot hold
    (openpyxl refuses them); other values as they are. A translatable text (a lazy string,
    which openpyxl does not know) is written as the text it reads in the active language."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))


def _header_cell(sheet, text: str, font):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=str(text))
    cell.font = font
    return cell
