"""Drawing the A4 pass with ReportLab: the sheet, its layout and the embedded font. Takes
plain values and a signer; reads no model and no database."""
