"use strict";
// i18n.js: every string the cashier reads, in Bahasa Indonesia (the default)
// and English, and the formatters for money, quantities, ages and times.
// Formatting is done by hand: toLocaleString may use U+00A0 or differ between
// browsers, and the till must print "Rp 12.500" everywhere the same way.

const I18n = (() => {
  const dict = {
    id: {
      "app.title": "Kasir",
      "lang.name": "Bahasa Indonesia",
      "lang.switch": "English",

      "login.title": "Masukkan PIN",
      "login.subtitle": "Ketuk PIN Anda lalu OK",
      "pin.ok": "OK",
      "pin.clear": "Hapus",
      "pin.back": "Mundur",
      "approval.title": "PIN Supervisor",
      "approval.subtitle": "Tindakan ini perlu persetujuan supervisor.",
      "locked.retry": "Coba lagi dalam {0}.",

      "scan.placeholder": "Scan barcode / kode",
      "scan.label": "Scan",
      "search.placeholder": "Cari barang…",
      "search.results": "Hasil cari",
      "catalog.empty": "Tidak ada barang.",
      "catalog.loading": "Memuat…",
      "weighed.title": "Berat {0} ({1})",

      "cart.title": "Keranjang",
      "cart.items": "{0} barang",
      "cart.empty": "Keranjang kosong. Scan atau ketuk barang.",
      "cart.subtotal": "Subtotal",
      "cart.discount": "Diskon",
      "cart.total": "Total",
      "cart.remove": "Hapus baris",
      "cart.less": "Kurangi",
      "cart.more": "Tambah",
      "cart.line_discount": "Diskon {0}",
      "cart.override": "Harga diubah (semula {0})",
      "cart.parked_count": "{0} ditahan",

      "btn.pay": "Bayar",
      "btn.park": "Tahan",
      "btn.recall": "Panggil",
      "btn.clear": "Batal",
      "btn.menu": "Menu",
      "btn.discount": "Diskon",
      "btn.ok": "OK",
      "btn.cancel": "Batal",
      "btn.close": "Tutup",
      "btn.back": "Kembali",
      "btn.yes": "Ya",
      "btn.no": "Tidak",
      "btn.retry": "Coba lagi",
      "btn.print": "Cetak",
      "btn.save": "Simpan",

      "clear.confirm": "Kosongkan keranjang? Barang yang sudah discan akan dihapus.",
      "clear.yes": "Ya, kosongkan",
      "park.title": "Tahan transaksi",
      "park.note": "Catatan (boleh kosong)",
      "park.note_placeholder": "mis. Ibu baju merah",
      "park.done": "Transaksi ditahan.",
      "recall.title": "Transaksi ditahan",
      "recall.empty": "Tidak ada transaksi yang ditahan.",
      "recall.lines": "{0} baris",
      "recall.done": "Transaksi dipanggil.",

      "line.title": "Baris: {0}",
      "line.qty": "Ubah jumlah",
      "line.disc_pct": "Diskon %",
      "line.disc_amt": "Diskon Rp",
      "line.price": "Ubah harga",
      "line.remove": "Hapus baris",
      "line.qty_title": "Jumlah ({0})",
      "line.price_title": "Harga baru per {0}",
      "disc.pct_title": "Diskon persen",
      "disc.amt_title": "Diskon rupiah",
      "disc.order_title": "Diskon transaksi",
      "disc.reason": "Alasan (boleh kosong)",
      "disc.remove": "Hapus diskon",
      "disc.pct": "Persen (%)",
      "disc.amt": "Rupiah (Rp)",

      "pay.title": "Pembayaran",
      "pay.total": "Total",
      "pay.cash_due": "Bayar tunai",
      "pay.rounding": "Pembulatan",
      "pay.exact": "Uang Pas",
      "pay.tenders": "Pembayaran",
      "pay.no_tenders": "Belum ada pembayaran.",
      "pay.remaining": "Sisa",
      "pay.change": "Kembali",
      "pay.complete": "Selesai",
      "pay.add": "Tambah",
      "pay.amount": "Jumlah",
      "pay.cash": "Tunai",
      "pay.bank": "Bank",
      "pay.approval": "Kode approval",
      "pay.last4": "4 digit terakhir kartu",
      "pay.offline_only": "Tidak tersedia saat offline",
      "pay.card_missing": "Isi bank, kode approval dan 4 digit terakhir kartu.",
      "pay.amount_missing": "Masukkan jumlah.",
      "pay.card_over": "Pembayaran non-tunai tidak boleh melebihi sisa tagihan.",
      "pay.remove_tender": "Hapus pembayaran",
      "pay.empty_cart": "Keranjang kosong.",
      "pay.done": "Transaksi selesai",
      "pay.new_sale": "Transaksi baru",
      "pay.reprint": "Cetak ulang",
      "pay.already_paid": "Pembayaran ini sudah tercatat sebelumnya (tidak dicatat dua kali).",
      "pay.checking": "Tidak ada jawaban dari kasir. Memeriksa apakah pembayaran sudah tercatat…",
      "pay.not_recorded": "Pembayaran belum tercatat. Tekan Selesai lagi (aman, tidak tercatat dua kali).",
      "pay.check_failed": "Status pembayaran belum bisa dipastikan. Tekan Selesai lagi (aman, tidak tercatat dua kali).",
      "pay.cart_changed": "Keranjang di kasir sudah berubah. Periksa keranjang lalu bayar lagi.",
      "pay.receipt": "Struk",
      "pay.no_change": "Tanpa kembalian",
      "pay.paid": "Dibayar",
      "qris.show": "Tampilkan QR",
      "qris.scan": "Pelanggan memindai kode ini",
      "qris.static_hint": "Cek aplikasi merchant: konfirmasi hanya bila dana {0} sudah masuk.",
      "qris.confirm": "Sudah masuk (cek aplikasi)",
      "qris.back": "Kembali",
      "qris.create": "Buat QR dinamis",
      "qris.waiting": "Menunggu pembayaran… berlaku {0}",
      "qris.cancel": "Batalkan / ganti cara bayar",
      "qris.cancelled": "Tagihan QRIS dibatalkan. Pilih cara bayar lain.",
      "qris.expired": "Kode QRIS kedaluwarsa. Buat kode baru atau pilih cara bayar lain.",
      "qris.unavailable": "QRIS dinamis hanya saat online dan bila penyedia diatur.",
      "qris.ref": "Ref",
      "qris.late_title": "QRIS masuk tanpa transaksi — rekonsiliasi ({0})",
      "qris.ack_refunded": "Sudah dikembalikan",
      "qris.ack_refunded_q": "{0} sudah dikembalikan ke pelanggan di luar kasir (aplikasi merchant atau transfer)?",
      "qris.ack_attach": "Lampirkan ke struk",
      "qris.ack_attach_title": "Lampirkan {0} ke struk",
      "qris.ack_sale": "Nomor struk",
      "qris.ack_done": "Dicatat dan dikirim ke kantor pusat.",
      "cust.scan": "Pindai untuk membayar",

      "menu.title": "Menu",
      "menu.shift": "Shift",
      "menu.open_shift": "Buka shift",
      "menu.cash_in": "Kas masuk",
      "menu.cash_out": "Kas keluar",
      "menu.x": "Laporan X",
      "menu.close_shift": "Tutup shift",
      "menu.sales": "Penjualan",
      "menu.reprint": "Cetak ulang struk terakhir",
      "menu.drawer": "Buka laci",
      "menu.printer": "Printer virtual",
      "menu.uplink_off": "Demo: putuskan koneksi",
      "menu.uplink_on": "Demo: sambungkan lagi",
      "menu.lang": "Bahasa: English",
      "menu.logout": "Keluar",
      "menu.other": "Lainnya",

      "shift.open_title": "Buka shift",
      "shift.open_text": "Belum ada shift yang buka. Hitung uang di laci lalu masukkan modal awal.",
      "shift.float": "Modal awal",
      "shift.opened": "Shift dibuka.",
      "shift.later": "Nanti",
      "shift.cash_in_title": "Kas masuk",
      "shift.cash_out_title": "Kas keluar",
      "shift.reason": "Alasan",
      "shift.reason_placeholder": "mis. tukar uang kecil",
      "shift.cash_done": "Tercatat, laci dibuka.",
      "shift.reason_missing": "Isi alasannya.",
      "shift.x_title": "Laporan X",
      "shift.z_title": "Laporan Z (shift ditutup)",
      "shift.close_title": "Tutup shift",
      "shift.close_text": "Hitung uang dan slip di laci, lalu isi jumlahnya per metode. Biarkan kosong metode yang tidak dihitung.",
      "shift.count_missing": "Isi minimal satu jumlah yang dihitung.",
      "shift.counted": "Dihitung",
      "shift.close_ok": "Tutup shift",
      "shift.printed": "Dicetak.",
      "shift.none": "Shift belum dibuka.",

      "report.opened": "Dibuka",
      "report.by": "oleh {0}",
      "report.float": "Modal awal",
      "report.cash_in": "Kas masuk",
      "report.cash_out": "Kas keluar",
      "report.sales": "Penjualan",
      "report.voids": "Pembatalan",
      "report.refunds": "Retur",
      "report.gross": "Penjualan kotor",
      "report.net": "Penjualan bersih",
      "report.discounts": "Diskon",
      "report.rounding": "Pembulatan",
      "report.method": "Metode",
      "report.m_sales": "Masuk",
      "report.m_returned": "Kembali",
      "report.expected": "Seharusnya",
      "report.counted": "Dihitung",
      "report.diff": "Selisih",
      "report.total_diff": "Total selisih",
      "report.not_counted": "–",
      "report.taxes": "Pajak",
      "report.count_docs": "{0} dok · {1}",

      "sales.title": "Penjualan",
      "sales.search": "Cari / scan nomor struk",
      "sales.empty": "Belum ada transaksi.",
      "sales.pick": "Pilih transaksi di kiri.",
      "sales.void": "Batalkan (void)",
      "sales.refund": "Retur",
      "sales.reprint": "Cetak ulang",
      "sales.reprinted": "Salinan dicetak.",
      "sales.voided_by": "Dibatalkan oleh {0}",
      "sales.refunds": "Retur: {0}",
      "sales.ref": "Untuk {0}",
      "kind.sale": "Penjualan",
      "kind.void": "Void",
      "kind.refund": "Retur",
      "void.title": "Batalkan {0}",
      "void.text": "Seluruh transaksi dibatalkan dan uang dikembalikan.",
      "void.reason": "Alasan",
      "void.reason_placeholder": "mis. salah input",
      "void.done": "Transaksi dibatalkan: {0}",
      "refund.title": "Retur {0}",
      "refund.lines": "Pilih barang dan jumlah yang diretur",
      "refund.method": "Uang dikembalikan lewat",
      "refund.reason": "Alasan",
      "refund.reason_placeholder": "mis. barang rusak",
      "refund.none": "Pilih minimal satu barang.",
      "refund.done": "Retur tercatat: {0}",
      "refund.nothing": "Tidak ada lagi yang bisa diretur.",
      "refund.max": "maks {0}",

      "drawer.title": "Buka laci (tanpa penjualan)",
      "drawer.reason": "Alasan",
      "drawer.reason_placeholder": "mis. tukar uang",
      "drawer.done": "Laci dibuka.",
      "reprint.none": "Belum ada struk untuk dicetak ulang.",

      "st.connected": "Terhubung",
      "st.online": "Online",
      "st.offline": "Offline",
      "st.no_till": "Tidak terhubung ke kasir",
      "st.synced": "Semua terkirim",
      "st.unsynced": "{0} belum terkirim · {1}",
      "st.printer": "Printer",
      "st.drawer": "Laci",
      "st.print_queue": "{0} struk menunggu printer",
      "st.catalog": "Katalog {0} · {1}",
      "st.catalog_stale": "Katalog {0} kedaluwarsa · {1}",
      "st.shift_open": "Shift buka",
      "st.shift_closed": "Shift tutup",
      "st.clock_behind": "Jam mundur",
      "st.clock_untrusted": "Jam belum tersinkron",
      "st.database": "Database: {0}",
      "st.sync_unknown": "Kirim: ?",
      "st.sync_unknown_title": "Status kirim tidak diketahui: database bermasalah.",
      "st.ack": "Ack HO: {0} lalu",
      "st.ack_now": "Ack HO: baru saja",
      "st.ack_never": "Ack HO: belum pernah",
      "st.ack_short": "Ack HO: {0}",
      "st.ack_title": "Terakhir diterima kantor pusat: {0}",
      "dev.ok": "OK",
      "dev.paper_out": "kertas habis",
      "dev.paper_low": "kertas hampir habis",
      "dev.cover_open": "tutup terbuka",
      "dev.offline": "tidak terhubung",
      "dev.absent": "tidak ada",
      "dev.open": "terbuka",
      "dev.error": "error",

      "age.now": "baru saja",
      "age.m": "{0} m",
      "age.hm": "{0} j {1} m",
      "age.h": "{0} j",
      "age.dh": "{0} h {1} j",

      "err.network": "Tidak terhubung ke kasir. Periksa kabel atau Wi-Fi, lalu coba lagi.",
      "err.http": "Kasir menjawab dengan galat {0}.",
      "err.unknown_code": "Barang tidak dikenal: {0}",
      "err.pin_short": "PIN 4 sampai 8 angka.",
      "err.session": "Sesi berakhir. Silakan masuk lagi.",
      "err.unexpected": "Terjadi kesalahan di layar kasir. Coba lagi.",

      "printer.title": "Printer virtual",
      "printer.empty": "Belum ada yang dicetak.",
      "printer.back": "Kembali ke kasir",
      "printer.login": "Masuk dulu di layar kasir untuk melihat struk.",
      "printer.updated": "Diperbarui {0}",
      "cust.welcome": "Selamat datang",
      "cust.total": "Total",
      "cust.paid": "Dibayar",
      "cust.change": "Kembalian",
      "cust.thanks": "Terima kasih",
      "cust.offline": "Layar pelanggan tidak terhubung ke kasir.",
    },
    en: {
      "app.title": "Kasir",
      "lang.name": "English",
      "lang.switch": "Bahasa Indonesia",

      "login.title": "Enter PIN",
      "login.subtitle": "Tap your PIN, then OK",
      "pin.ok": "OK",
      "pin.clear": "Clear",
      "pin.back": "Back",
      "approval.title": "Supervisor PIN",
      "approval.subtitle": "This needs a supervisor's approval.",
      "locked.retry": "Try again in {0}.",

      "scan.placeholder": "Scan barcode / code",
      "scan.label": "Scan",
      "search.placeholder": "Search products…",
      "search.results": "Search",
      "catalog.empty": "No products.",
      "catalog.loading": "Loading…",
      "weighed.title": "Weight of {0} ({1})",

      "cart.title": "Cart",
      "cart.items": "{0} items",
      "cart.empty": "Cart is empty. Scan or tap a product.",
      "cart.subtotal": "Subtotal",
      "cart.discount": "Discount",
      "cart.total": "Total",
      "cart.remove": "Remove line",
      "cart.less": "Less",
      "cart.more": "More",
      "cart.line_discount": "Discount {0}",
      "cart.override": "Price changed (was {0})",
      "cart.parked_count": "{0} parked",

      "btn.pay": "Pay",
      "btn.park": "Park",
      "btn.recall": "Recall",
      "btn.clear": "Cancel",
      "btn.menu": "Menu",
      "btn.discount": "Discount",
      "btn.ok": "OK",
      "btn.cancel": "Cancel",
      "btn.close": "Close",
      "btn.back": "Back",
      "btn.yes": "Yes",
      "btn.no": "No",
      "btn.retry": "Retry",
      "btn.print": "Print",
      "btn.save": "Save",

      "clear.confirm": "Empty the cart? Everything scanned will be removed.",
      "clear.yes": "Yes, empty it",
      "park.title": "Park sale",
      "park.note": "Note (optional)",
      "park.note_placeholder": "e.g. lady in red",
      "park.done": "Sale parked.",
      "recall.title": "Parked sales",
      "recall.empty": "No parked sales.",
      "recall.lines": "{0} lines",
      "recall.done": "Sale recalled.",

      "line.title": "Line: {0}",
      "line.qty": "Set quantity",
      "line.disc_pct": "Discount %",
      "line.disc_amt": "Discount Rp",
      "line.price": "Change price",
      "line.remove": "Remove line",
      "line.qty_title": "Quantity ({0})",
      "line.price_title": "New price per {0}",
      "disc.pct_title": "Percent discount",
      "disc.amt_title": "Rupiah discount",
      "disc.order_title": "Order discount",
      "disc.reason": "Reason (optional)",
      "disc.remove": "Remove discount",
      "disc.pct": "Percent (%)",
      "disc.amt": "Rupiah (Rp)",

      "pay.title": "Payment",
      "pay.total": "Total",
      "pay.cash_due": "Cash due",
      "pay.rounding": "Rounding",
      "pay.exact": "Exact",
      "pay.tenders": "Payments",
      "pay.no_tenders": "No payment yet.",
      "pay.remaining": "Remaining",
      "pay.change": "Change",
      "pay.complete": "Complete",
      "pay.add": "Add",
      "pay.amount": "Amount",
      "pay.cash": "Cash",
      "pay.bank": "Bank",
      "pay.approval": "Approval code",
      "pay.last4": "Card last 4 digits",
      "pay.offline_only": "Not available offline",
      "pay.card_missing": "Fill in bank, approval code and the card's last 4 digits.",
      "pay.amount_missing": "Enter an amount.",
      "pay.card_over": "A non-cash payment may not exceed what is left to pay.",
      "pay.remove_tender": "Remove payment",
      "pay.empty_cart": "The cart is empty.",
      "pay.done": "Sale complete",
      "pay.new_sale": "New sale",
      "pay.reprint": "Reprint",
      "pay.already_paid": "This payment had already been recorded (it is never recorded twice).",
      "pay.checking": "No answer from the till. Checking whether the payment was recorded…",
      "pay.not_recorded": "The payment was not recorded. Press Complete again (safe: it is never recorded twice).",
      "pay.check_failed": "Could not confirm the payment yet. Press Complete again (safe: it is never recorded twice).",
      "pay.cart_changed": "The cart on the till has changed. Check the cart, then pay again.",
      "pay.receipt": "Receipt",
      "pay.no_change": "No change",
      "pay.paid": "Paid",
      "qris.show": "Show QR",
      "qris.scan": "The customer scans this code",
      "qris.static_hint": "Check the merchant app: confirm only once {0} has arrived.",
      "qris.confirm": "Received (checked in app)",
      "qris.back": "Back",
      "qris.create": "Make dynamic QR",
      "qris.waiting": "Waiting for payment… valid {0}",
      "qris.cancel": "Cancel / switch method",
      "qris.cancelled": "The QRIS charge is cancelled. Choose another method.",
      "qris.expired": "The QRIS code expired. Make a new one or choose another method.",
      "qris.unavailable": "Dynamic QRIS works only online and with a provider set up.",
      "qris.ref": "Ref",
      "qris.late_title": "QRIS money with no sale — reconcile ({0})",
      "qris.ack_refunded": "Refunded",
      "qris.ack_refunded_q": "Was {0} refunded to the customer outside the till (merchant app or transfer)?",
      "qris.ack_attach": "Attach to receipt",
      "qris.ack_attach_title": "Attach {0} to a receipt",
      "qris.ack_sale": "Receipt number",
      "qris.ack_done": "Recorded and sent to head office.",
      "cust.scan": "Scan to pay",

      "menu.title": "Menu",
      "menu.shift": "Shift",
      "menu.open_shift": "Open shift",
      "menu.cash_in": "Cash in",
      "menu.cash_out": "Cash out",
      "menu.x": "X report",
      "menu.close_shift": "Close shift",
      "menu.sales": "Sales",
      "menu.reprint": "Reprint last receipt",
      "menu.drawer": "Open drawer",
      "menu.printer": "Virtual printer",
      "menu.uplink_off": "Demo: cut the link",
      "menu.uplink_on": "Demo: reconnect",
      "menu.lang": "Bahasa: Indonesia",
      "menu.logout": "Log out",
      "menu.other": "Other",

      "shift.open_title": "Open shift",
      "shift.open_text": "No shift is open. Count the cash in the drawer and enter the float.",
      "shift.float": "Float",
      "shift.opened": "Shift opened.",
      "shift.later": "Later",
      "shift.cash_in_title": "Cash in",
      "shift.cash_out_title": "Cash out",
      "shift.reason": "Reason",
      "shift.reason_placeholder": "e.g. small change",
      "shift.cash_done": "Recorded, drawer opened.",
      "shift.reason_missing": "Enter a reason.",
      "shift.x_title": "X report",
      "shift.z_title": "Z report (shift closed)",
      "shift.close_title": "Close shift",
      "shift.close_text": "Count the cash and slips in the drawer and enter them per method. Leave a method empty if you did not count it.",
      "shift.count_missing": "Enter at least one counted amount.",
      "shift.counted": "Counted",
      "shift.close_ok": "Close shift",
      "shift.printed": "Printed.",
      "shift.none": "No shift is open.",

      "report.opened": "Opened",
      "report.by": "by {0}",
      "report.float": "Float",
      "report.cash_in": "Cash in",
      "report.cash_out": "Cash out",
      "report.sales": "Sales",
      "report.voids": "Voids",
      "report.refunds": "Refunds",
      "report.gross": "Gross sales",
      "report.net": "Net sales",
      "report.discounts": "Discounts",
      "report.rounding": "Rounding",
      "report.method": "Method",
      "report.m_sales": "Taken",
      "report.m_returned": "Returned",
      "report.expected": "Expected",
      "report.counted": "Counted",
      "report.diff": "Difference",
      "report.total_diff": "Total difference",
      "report.taxes": "Tax",
      "report.count_docs": "{0} docs · {1}",

      "sales.title": "Sales",
      "sales.search": "Search / scan receipt number",
      "sales.empty": "No sales yet.",
      "sales.pick": "Pick a sale on the left.",
      "sales.void": "Void",
      "sales.refund": "Refund",
      "sales.reprint": "Reprint",
      "sales.reprinted": "Copy printed.",
      "sales.voided_by": "Voided by {0}",
      "sales.refunds": "Refunds: {0}",
      "sales.ref": "For {0}",
      "kind.sale": "Sale",
      "kind.void": "Void",
      "kind.refund": "Refund",
      "void.title": "Void {0}",
      "void.text": "The whole sale is voided and the money returned.",
      "void.reason": "Reason",
      "void.reason_placeholder": "e.g. wrong entry",
      "void.done": "Sale voided: {0}",
      "refund.title": "Refund {0}",
      "refund.lines": "Pick the products and quantities to refund",
      "refund.method": "Pay back by",
      "refund.reason": "Reason",
      "refund.reason_placeholder": "e.g. damaged",
      "refund.none": "Pick at least one product.",
      "refund.done": "Refund recorded: {0}",
      "refund.nothing": "Nothing left to refund.",
      "refund.max": "max {0}",

      "drawer.title": "Open drawer (no sale)",
      "drawer.reason": "Reason",
      "drawer.reason_placeholder": "e.g. change money",
      "drawer.done": "Drawer opened.",
      "reprint.none": "No receipt to reprint yet.",

      "st.connected": "Connected",
      "st.online": "Online",
      "st.offline": "Offline",
      "st.no_till": "Not connected to the till",
      "st.synced": "All sent",
      "st.unsynced": "{0} not sent · {1}",
      "st.printer": "Printer",
      "st.drawer": "Drawer",
      "st.print_queue": "{0} receipts waiting for the printer",
      "st.catalog": "Catalog {0} · {1}",
      "st.catalog_stale": "Catalog {0} out of date · {1}",
      "st.shift_open": "Shift open",
      "st.shift_closed": "Shift closed",
      "st.clock_behind": "Clock behind",
      "st.clock_untrusted": "Clock not synced",
      "st.database": "Database: {0}",
      "st.sync_unknown": "Sent: ?",
      "st.sync_unknown_title": "Sync state unknown: the database has a problem.",
      "st.ack": "HO ack: {0} ago",
      "st.ack_now": "HO ack: just now",
      "st.ack_never": "HO ack: never",
      "st.ack_short": "HO ack: {0}",
      "st.ack_title": "Last acknowledged by head office: {0}",
      "dev.ok": "OK",
      "dev.paper_out": "paper out",
      "dev.paper_low": "paper low",
      "dev.cover_open": "cover open",
      "dev.offline": "not connected",
      "dev.absent": "absent",
      "dev.open": "open",
      "dev.error": "error",

      "age.now": "just now",
      "age.m": "{0} m",
      "age.hm": "{0} h {1} m",
      "age.h": "{0} h",
      "age.dh": "{0} d {1} h",

      "err.network": "Not connected to the till. Check the cable or Wi-Fi, then retry.",
      "err.http": "The till answered with error {0}.",
      "err.unknown_code": "Unknown product: {0}",
      "err.pin_short": "A PIN is 4 to 8 digits.",
      "err.session": "Session ended. Please log in again.",
      "err.unexpected": "Something went wrong on the till screen. Please retry.",

      "printer.title": "Virtual printer",
      "printer.empty": "Nothing printed yet.",
      "printer.back": "Back to the till",
      "printer.login": "Log in on the till screen first to see receipts.",
      "printer.updated": "Updated {0}",
      "cust.welcome": "Welcome",
      "cust.total": "Total",
      "cust.paid": "Paid",
      "cust.change": "Change",
      "cust.thanks": "Thank you",
      "cust.offline": "The customer screen is not connected to the till.",
    },
  };

  const storageKey = "kasir.lang";
  let lang = readLang();

  function readLang() {
    try {
      return localStorage.getItem(storageKey) === "en" ? "en" : "id";
    } catch {
      return "id";
    }
  }

  // t looks key up in the current language, falling back to Indonesian, and
  // fills {0}, {1}… with args.
  function t(key, ...args) {
    const s = dict[lang][key] ?? dict.id[key] ?? key;
    return s.replace(/\{(\d+)\}/g, (_, i) => String(args[i] ?? ""));
  }

  function setLang(l) {
    lang = l === "en" ? "en" : "id";
    try {
      localStorage.setItem(storageKey, lang);
    } catch {
      // A kiosk with storage disabled keeps the language until reload.
    }
    apply(document);
  }

  // apply translates the static markup: data-i18n sets the text,
  // data-i18n-placeholder and data-i18n-label set those attributes.
  function apply(root) {
    document.documentElement.lang = lang;
    root.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((e) => { e.placeholder = t(e.dataset.i18nPlaceholder); });
    root.querySelectorAll("[data-i18n-label]").forEach((e) => {
      e.setAttribute("aria-label", t(e.dataset.i18nLabel));
      e.title = t(e.dataset.i18nLabel);
    });
  }

  return { t, setLang, apply, lang: () => lang };
})();

const Fmt = (() => {
  // thousands writes a non-negative integer with dots: 1234567 → "1.234.567".
  function thousands(n) {
    const s = String(Math.trunc(Math.abs(n)));
    let out = "";
    for (let i = 0; i < s.length; i++) {
      if (i > 0 && (s.length - i) % 3 === 0) out += ".";
      out += s[i];
    }
    return out;
  }

  // rp writes whole rupiah: "Rp 12.500", "-Rp 500".
  function rp(n) {
    const v = Math.round(Number(n) || 0);
    return (v < 0 ? "-Rp " : "Rp ") + thousands(v);
  }

  // plain writes rupiah without the currency: "12.500".
  function plain(n) {
    const v = Math.round(Number(n) || 0);
    return (v < 0 ? "-" : "") + thousands(v);
  }

  // qty writes a quantity the Indonesian way: 3 → "3", 0.75 → "0,750".
  function qty(q) {
    const m = Math.round((Number(q) || 0) * 1000);
    const a = Math.abs(m);
    const sign = m < 0 ? "-" : "";
    if (a % 1000 === 0) return sign + String(a / 1000);
    return sign + String(Math.floor(a / 1000)) + "," + String(a % 1000).padStart(3, "0");
  }

  // parseQty reads "0,75" or "0.75" as a number of units; NaN when not one.
  function parseQty(s) {
    const v = String(s).trim().replace(",", ".");
    if (!/^\d{1,9}(\.\d{0,3})?$/.test(v)) return NaN;
    return Number(v);
  }

  // digits reads an amount typed with or without separators: "12.500" → 12500.
  function digits(s) {
    const d = String(s).replace(/\D/g, "");
    return d === "" ? 0 : Number(d);
  }

  // age writes a duration for the status strip: "12 m", "1 j 30 m", "2 h 3 j".
  function age(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    const m = Math.floor(s / 60);
    const h = Math.floor(m / 60);
    const d = Math.floor(h / 24);
    if (m < 1) return I18n.t("age.now");
    if (h < 1) return I18n.t("age.m", m);
    if (d < 1) return m % 60 ? I18n.t("age.hm", h, m % 60) : I18n.t("age.h", h);
    return I18n.t("age.dh", d, h % 24);
  }

  const zoneNames = { "Asia/Makassar": "WITA", "Asia/Ujung_Pandang": "WITA", "Asia/Jayapura": "WIT" };

  // zone is the Indonesian name of a time zone: WIB, WITA or WIT.
  function zone(tz) {
    return zoneNames[tz] || "WIB";
  }

  // parts returns the date and time fields of d in the shop's time zone.
  function parts(d, tz) {
    const out = {};
    try {
      const f = new Intl.DateTimeFormat("en-GB", {
        timeZone: tz || "Asia/Jakarta", hourCycle: "h23",
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
      for (const p of f.formatToParts(d)) out[p.type] = p.value;
    } catch {
      const pad = (n) => String(n).padStart(2, "0");
      Object.assign(out, {
        year: String(d.getFullYear()), month: pad(d.getMonth() + 1), day: pad(d.getDate()),
        hour: pad(d.getHours()), minute: pad(d.getMinutes()), second: pad(d.getSeconds()),
      });
    }
    return out;
  }

  // clock writes "14:05 WIB".
  function clock(d, tz) {
    const p = parts(d, tz);
    return `${p.hour}:${p.minute} ${zone(tz)}`;
  }

  // dateTime writes an RFC 3339 time as "31/12/2025 14:05".
  function dateTime(iso, tz) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const p = parts(d, tz);
    return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
  }

  // time writes an RFC 3339 time as "14:05:09".
  function time(iso, tz) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const p = parts(d, tz);
    return `${p.hour}:${p.minute}:${p.second}`;
  }

  return { rp, plain, qty, parseQty, digits, age, zone, clock, dateTime, time };
})();
