package benchdata

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Sheet is the XLSX data set's one sheet, as gen-data.mjs names it.
const Sheet = "Customers"

// WriteXLSX writes the first rows records as one sheet of typed cells, as
// a spreadsheet application saves them (numbers, dates formatted
// yyyy-mm-dd, booleans), through excelize's stream writer, so memory does
// not grow with the rows. The records are the CSV's; the bytes are not
// gen-data.mjs's (that one writes with SheetJS).
func WriteXLSX(w io.Writer, rows int) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", Sheet); err != nil {
		return fmt.Errorf("bench XLSX: %w", err)
	}
	format := "yyyy-mm-dd"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return fmt.Errorf("bench XLSX: %w", err)
	}
	sw, err := f.NewStreamWriter(Sheet)
	if err != nil {
		return fmt.Errorf("bench XLSX: %w", err)
	}
	head := make([]any, len(Header))
	for i, h := range Header {
		head[i] = h
	}
	if err := sw.SetRow("A1", head); err != nil {
		return fmt.Errorf("bench XLSX: %w", err)
	}
	g := New()
	cells := make([]any, len(Header))
	for n := range rows {
		r := g.Next()
		cells[0], cells[1], cells[2], cells[3], cells[4] = r.ID, r.FirstName, r.LastName, r.Email, r.Phone
		cells[5] = excelize.Cell{StyleID: date, Value: r.SignupDate}
		cells[6] = float64(r.AmountCents) / 100
		cells[7], cells[8], cells[9] = r.Country, r.Active, r.Notes
		if err := sw.SetRow("A"+strconv.Itoa(n+2), cells); err != nil {
			return fmt.Errorf("bench XLSX row %d: %w", n+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("bench XLSX: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("bench XLSX: %w", err)
	}
	return nil
}
