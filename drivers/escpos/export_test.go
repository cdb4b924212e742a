package escpos

// ReceiptForTest lets the external tests print the golden receipt.
func ReceiptForTest(cols int) Doc { return receipt(cols) }
