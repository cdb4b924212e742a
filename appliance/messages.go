package appliance

import (
	"errors"
	"fmt"

	"github.com/kasirpos/kasir/appliance/qris"
)

// messages holds what the cashier reads, in Bahasa Indonesia and English.
// Keys are error codes (the default sentence) or specific message keys.
var messages = map[string][2]string{
	string(CodeInvalid):      {"Data tidak valid.", "Invalid input."},
	string(CodeNotFound):     {"Tidak ditemukan.", "Not found."},
	string(CodeUnauthorized): {"Silakan masuk dengan PIN Anda.", "Please log in with your PIN."},
	string(CodeForbidden):    {"Perlu persetujuan supervisor.", "A supervisor must approve this."},
	string(CodeApproval):     {"Masukkan PIN supervisor.", "Enter a supervisor PIN."},
	string(CodeLocked):       {"Terlalu banyak PIN salah. Coba lagi dalam %d detik.", "Too many wrong PINs. Try again in %d seconds."},
	string(CodeConflict):     {"Tidak dapat dilakukan sekarang.", "Not possible right now."},
	string(CodeUnderpaid):    {"Pembayaran kurang %s.", "Payment is %s short."},
	string(CodeNoShift):      {"Buka shift terlebih dahulu.", "Open a shift first."},
	string(CodeStoreFailed):  {"Gagal menyimpan ke disk kasir. Transaksi belum tersimpan; hubungi teknisi.", "The till could not write to its disk. Nothing was saved; call a technician."},
	string(CodeCorrupt):      {"Database kasir rusak. Penjualan dihentikan; file disimpan untuk pemulihan. Hubungi teknisi.", "The till's database is damaged. Selling is stopped; the file is kept for recovery. Call a technician."},
	string(CodeCatalogStale): {"Katalog terlalu lama tidak diperbarui. Hubungkan kasir ke kantor pusat.", "The catalog is too old. Connect the till to head office."},
	string(CodeUnreachable):  {"Layanan tidak dapat dihubungi. Gunakan cara bayar lain.", "The service cannot be reached. Use another payment method."},
	string(CodeInternal):     {"Terjadi kesalahan. Coba lagi.", "Something went wrong. Please try again."},

	"setup_users_exist":   {"Kasir sudah punya pengguna. Tambah pengguna lewat supervisor.", "The till already has users. A supervisor adds more."},
	"wrong_setup_pin":     {"PIN setup salah. Lihat file PIN setup di kartu SD.", "Wrong setup PIN. See the setup PIN file on the SD card."},
	"setup_required":      {"Kasir belum disiapkan. Buka layar setup.", "The till is not set up yet. Open the setup screen."},
	"setup_provisioned":   {"Kasir sudah disiapkan; identitas diubah lewat kasir.json.", "The till is already set up; change its identity in kasir.json."},
	"setup_invalid":       {"Isian setup belum lengkap atau salah.", "The setup form is incomplete or wrong."},
	"setup_no_session":    {"Masukkan PIN setup.", "Enter the setup PIN."},
	"empty_code":          {"Kode barang kosong.", "The item code is empty."},
	"bad_check_digit":     {"Barcode %s salah baca, pindai ulang.", "Barcode %s misread, scan again."},
	"unknown_code":        {"Barang tidak ditemukan: %s", "Item not found: %s"},
	"inactive_product":    {"%s tidak dijual lagi.", "%s is no longer sold."},
	"bad_qty":             {"Jumlah tidak valid.", "Invalid quantity."},
	"whole_qty":           {"Jumlah untuk barang ini harus bilangan bulat.", "This item needs a whole quantity."},
	"bad_discount":        {"Diskon tidak valid.", "Invalid discount."},
	"bad_price":           {"Harga tidak valid.", "Invalid price."},
	"bad_amount":          {"Jumlah uang tidak valid.", "Invalid amount."},
	"no_payment":          {"Pilih cara pembayaran.", "Choose a payment."},
	"unknown_method":      {"Cara bayar %s tidak tersedia.", "Payment method %s is not available."},
	"method_offline":      {"%s hanya bisa dipakai saat kasir online.", "%s works only while the till is online."},
	"noncash_over":        {"Pembayaran non-tunai tidak boleh melebihi total.", "Non-cash payments cannot exceed the total."},
	"edc_bank":            {"Pilih bank EDC.", "Choose the EDC bank."},
	"edc_approval":        {"Masukkan kode approval dari struk EDC.", "Enter the approval code from the EDC slip."},
	"edc_last4":           {"Masukkan 4 digit terakhir kartu.", "Enter the card's last 4 digits."},
	"cart_empty":          {"Keranjang masih kosong.", "The cart is empty."},
	"cart_not_empty":      {"Selesaikan atau tahan transaksi ini dulu.", "Finish or park this sale first."},
	"line_not_found":      {"Baris tidak ditemukan.", "Line not found."},
	"cart_not_found":      {"Transaksi yang ditahan tidak ditemukan.", "Parked sale not found."},
	"wrong_pin":           {"PIN salah.", "Wrong PIN."},
	"wrong_supervisor":    {"PIN supervisor salah.", "Wrong supervisor PIN."},
	"bad_pin":             {"PIN harus 4 sampai 8 angka.", "The PIN must be 4 to 8 digits."},
	"shift_open":          {"Shift sudah dibuka.", "A shift is already open."},
	"bad_reason":          {"Isi alasan.", "Give a reason."},
	"sale_not_found":      {"Struk %s tidak ditemukan.", "Receipt %s not found."},
	"not_a_sale":          {"%s bukan struk penjualan.", "%s is not a sales receipt."},
	"already_voided":      {"Struk %s sudah dibatalkan.", "Receipt %s is already voided."},
	"void_has_refund":     {"Struk %s sudah ada refund; gunakan refund.", "Receipt %s has refunds; refund instead."},
	"void_other_shift":    {"Void hanya untuk struk shift ini; gunakan refund.", "Only this shift's receipts can be voided; refund instead."},
	"refund_too_much":     {"Jumlah refund melebihi sisa yang bisa dikembalikan.", "Refund exceeds what is left to refund."},
	"nothing_to_refund":   {"Tidak ada yang bisa dikembalikan.", "Nothing left to refund."},
	"bad_counted":         {"Isi jumlah uang yang dihitung.", "Enter the counted amounts."},
	"bad_request":         {"Permintaan tidak valid.", "Invalid request."},
	"cross_origin":        {"Permintaan dari situs lain ditolak.", "Requests from another site are refused."},
	"no_endpoint":         {"Alamat API tidak dikenal.", "Unknown API address."},
	"cart_changed":        {"Keranjang sudah berubah. Periksa lalu bayar lagi.", "The cart has changed. Check it and pay again."},
	"discount_recheck":    {"Diskon melebihi batas setelah jumlah diubah. Hapus diskon atau minta persetujuan supervisor.", "A discount is above the limit after the change. Remove it or ask a supervisor."},
	"fixed_qty":           {"Barang berlabel harga timbangan: pindai setiap label.", "A priced scale label is one piece: scan each label."},
	"unknown_tax_class":   {"%s memakai kelas pajak %s yang tidak dikenal. Hubungi kantor pusat.", "%s uses an unknown tax class %s. Call head office."},
	"weight_not_weighed":  {"%s bukan barang timbangan; label berat tidak bisa dipakai.", "%s is not sold by weight; a weight label cannot be used."},
	"refund_method":       {"Refund hanya tunai atau dengan cara bayar struk asal.", "Refund in cash or with a method the sale was paid with."},
	"print_queued":        {"Struk belum tercetak dan menunggu di antrean; akan tercetak otomatis saat printer siap. Transaksi tetap tersimpan.", "The receipt has not printed and waits in the queue; it prints by itself when the printer is ready. The sale is saved."},
	"print_paper_out":     {"Kertas printer habis. Ganti kertas; struk akan tercetak otomatis. Transaksi tetap tersimpan.", "The printer is out of paper. Load paper; the receipt then prints by itself. The sale is saved."},
	"print_cover_open":    {"Tutup printer terbuka. Tutup printer; struk akan tercetak otomatis. Transaksi tetap tersimpan.", "The printer cover is open. Close it; the receipt then prints by itself. The sale is saved."},
	"print_offline":       {"Printer tidak terhubung. Periksa kabel dan daya; struk akan tercetak otomatis. Transaksi tetap tersimpan.", "The printer is not connected. Check its cable and power; the receipt then prints by itself. The sale is saved."},
	"print_failed":        {"Struk gagal dicetak. Transaksi tetap tersimpan; cetak ulang setelah printer siap.", "The receipt did not print. The sale is saved; reprint when the printer is ready."},
	"change_too_large":    {"Kembalian terlalu besar. Periksa jumlah uang yang diterima.", "The change is too large. Check the amount received."},
	"drawer_short":        {"Uang di laci tidak cukup untuk kas keluar ini.", "There is not enough cash in the drawer for this."},
	"method_off":          {"Cara bayar %s sedang tidak dipakai.", "Payment method %s is switched off."},
	"method_cap":          {"%s di atas %s perlu persetujuan supervisor. Masukkan PIN supervisor.", "%s above %s needs a supervisor's approval. Enter a supervisor PIN."},
	"qris_static_missing": {"QRIS toko belum diatur.", "The shop's QRIS is not set up."},
	"qris_static_bad":     {"QRIS toko tidak valid: %s", "The shop's QRIS is invalid: %s"},
	"qris_bad_amount":     {"Nominal QRIS harus lebih dari nol dan tidak melebihi total.", "The QRIS amount must be above zero and at most the total."},
	"qris_not_qris":       {"%s bukan cara bayar QRIS.", "%s is not a QRIS method."},
	"qris_provider":       {"%s", "%s"},
	"qris_no_provider":    {"QRIS dinamis belum diatur di kasir ini.", "Dynamic QRIS is not set up on this till."},
	"qris_not_found":      {"Pembayaran QRIS tidak ditemukan.", "QRIS payment not found."},
	"qris_unpaid":         {"Pembayaran QRIS ini belum lunas.", "This QRIS payment is not paid."},
	"qris_closed":         {"Tagihan QRIS sudah ditutup (%s). Buat kode baru atau pilih cara bayar lain.", "The QRIS charge is closed (%s). Make a new code or use another method."},
	"qris_late":           {"Pembayaran QRIS masuk setelah tagihan ditutup. Tidak dipakai untuk transaksi ini; dicatat untuk rekonsiliasi — hubungi supervisor.", "A QRIS payment arrived after the charge was closed. It was not used for this sale; it is recorded for reconciliation — call a supervisor."},
	"qris_mismatch":       {"Pembayaran QRIS masuk tetapi keranjang sudah berubah. Dicatat untuk rekonsiliasi; hubungi supervisor.", "The QRIS payment arrived but the cart has changed. It is recorded for reconciliation; call a supervisor."},
	"qris_ack_done":       {"Pembayaran QRIS ini sudah ditindaklanjuti.", "This QRIS payment has already been dealt with."},
	"qris_ack_bad":        {"Pilih: dikembalikan ke pelanggan, atau lampirkan ke nomor struk.", "Choose: refunded to the customer, or attach to a receipt number."},
	"database_corrupt":    {"Database kasir rusak. Penjualan dihentikan; file disimpan untuk pemulihan. Hubungi teknisi.", "The till's database is damaged. Selling is stopped; the file is kept for recovery. Call a technician."},
}

// Message returns the cashier's sentence for err in lang ("id" or "en").
func Message(err error, lang string) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	var e *Error
	if !errors.As(err, &e) {
		return messages[string(CodeInternal)][i]
	}
	key := e.Key
	if key == "" {
		key = string(e.Code)
	}
	m, ok := messages[key]
	if !ok {
		m = messages[string(e.Code)]
	}
	if len(e.Args) > 0 {
		args := make([]any, len(e.Args))
		for j, a := range e.Args {
			if l, ok := a.(localized); ok {
				a = l.Message(lang)
			}
			args[j] = a
		}
		return fmt.Sprintf(m[i], args...)
	}
	return m[i]
}

// localized is a message argument that has its own words in each language.
type localized interface{ Message(lang string) string }

// qrisText is an error from package qris as a message argument: qris's own
// sentence for it.
type qrisText struct{ err error }

func (q qrisText) Message(lang string) string {
	if m := qris.Message(q.err, lang); m != "" {
		return m
	}
	return q.err.Error()
}

func (q qrisText) String() string { return q.Message("id") }
