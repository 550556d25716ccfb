"""Shipping labels as PDF: a 4 x 6 inch page with both addresses, the service and a barcode.

The layout follows what carriers' thermal labels show: the sender top left,
the recipient large in the middle, carrier, service, weight and reference,
and the tracking number as a Code 128 barcode with its text beneath, so a
scanner and a person read the same thing. ``reportlab`` draws it; the
output is deterministic for the same input (``invariant``), which keeps
stored labels comparable.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas

from conveyor.domain.addresses import Address

PAGE = (4 * inch, 6 * inch)
MARGIN = 6 * mm


@dataclass(frozen=True, slots=True)
class ShippingLabel:
    ship_from: Address
    ship_to: Address
    carrier: str
    service: str
    tracking_number: str
    weight_grams: int
    reference: str = ""


def _address_lines(address: Address) -> list[str]:
    city = " ".join(part for part in (address.postal_code, address.city) if part)
    lines = [address.name, address.line1, address.line2, city, address.region, address.country]
    return [line for line in lines if line]


def _block(canvas: Canvas, x: float, y: float, lines: list[str], size: float, leading: float) -> float:
    """Draw lines downwards from y; returns the y below the last line."""
    for index, line in enumerate(lines):
        canvas.setFont("Helvetica-Bold" if index == 0 else "Helvetica", size)
        canvas.drawString(x, y, line[:60])
        y -= leading
    return y


def render_label(label: ShippingLabel) -> bytes:
    """The label as PDF bytes (one page)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, invariant=1)
    canvas.setTitle(f"Shipping label {label.tracking_number}")
    canvas.setAuthor("Conveyor")
    width, height = PAGE
    top = height - MARGIN

    canvas.setFont("Helvetica", 7)
    canvas.drawString(MARGIN, top, "FROM")
    _block(canvas, MARGIN, top - 10, _address_lines(label.ship_from), 8, 10)

    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawRightString(width - MARGIN, top - 4, label.carrier.upper())
    canvas.setFont("Helvetica", 9)
    canvas.drawRightString(width - MARGIN, top - 16, label.service)

    canvas.line(MARGIN, height - 1.6 * inch, width - MARGIN, height - 1.6 * inch)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(MARGIN, height - 1.6 * inch - 12, "SHIP TO")
    _block(canvas, MARGIN + 4 * mm, height - 1.6 * inch - 28, _address_lines(label.ship_to), 12, 15)

    canvas.line(MARGIN, 2.3 * inch, width - MARGIN, 2.3 * inch)
    canvas.setFont("Helvetica", 9)
    kilograms = f"{label.weight_grams / 1000:.2f} kg"
    canvas.drawString(MARGIN, 2.3 * inch - 14, f"Weight: {kilograms}")
    if label.reference:
        canvas.drawRightString(width - MARGIN, 2.3 * inch - 14, f"Ref: {label.reference}")

    barcode = Code128(label.tracking_number, barHeight=0.8 * inch, barWidth=1.1, humanReadable=False)
    bar_x = max(MARGIN, (width - barcode.width) / 2)
    barcode.drawOn(canvas, bar_x, 0.75 * inch)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawCentredString(width / 2, 0.5 * inch, label.tracking_number)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
