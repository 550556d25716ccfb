"""Shipping label PDFs: a real, parseable PDF carrying addresses, service and tracking number."""

from __future__ import annotations

import io

from pypdf import PdfReader

from conveyor.adapters.labels import ShippingLabel, render_label
from conveyor.domain.addresses import Address

LABEL = ShippingLabel(
    ship_from=Address(name="Berlin fulfilment centre", line1="Am Borsigturm 40", postal_code="13507",
                      city="Berlin", country="DE"),
    ship_to=Address(name="Camille Martin", line1="8 Rue Mercière", postal_code="69002", city="Lyon",
                    country="FR"),
    carrier="DHL", service="DHL Paket", tracking_number="CVR00012345DE", weight_grams=1250,
    reference="O-1001",
)  # fmt: skip


def test_the_label_is_a_one_page_pdf_with_addresses_service_weight_and_tracking_number() -> None:
    pdf = render_label(LABEL)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in ("CVR00012345DE", "Camille Martin", "69002 Lyon", "Am Borsigturm 40", "DHL Paket",
                     "1.25 kg", "O-1001"):  # fmt: skip
        assert expected in text


def test_the_same_shipment_always_gives_the_same_label() -> None:
    assert render_label(LABEL) == render_label(LABEL)
