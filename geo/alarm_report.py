"""The report document (PDF) of a closed alarm: the alarm, its hazard source, the handling timeline and the report.

Drawn with reportlab in its built-in CJK font ``STSong-Light`` (Adobe's Asian font pack, which PDF readers
supply): the file names the font and embeds none, so no font file is needed here and the file stays small.
Texts are in the active language (Chinese by default); times are shown in ``settings.TIME_ZONE``
(Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from geo.alarm_handling import step_label
from geo.models import Alarm, AlarmHandling

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4 * mm)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=16, spaceBefore=5 * mm, spaceAfter=2 * mm)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=11, textColor=colors.grey)


def _p(text: object, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text (escaped for reportlab's markup; line breaks kept)."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped.replace("\n", "<br/>"), style)


def _time(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _table(rows: list[list], widths: list[float], header: bool = False) -> Table:
    table = Table([[_p(c) if not isinstance(c, Flowable) else c for c in row] for row in rows], colWidths=widths)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")))
    table.setStyle(TableStyle(style))
    return table


def _alarm_rows(alarm: Alarm) -> list[list]:
    value = ""
    if alarm.value is not None:
        value = f"{alarm.value:g} {alarm.unit}".strip()
        if alarm.threshold is not None:
            value += _(" (limit %(threshold)s)") % {"threshold": f"{alarm.threshold:g} {alarm.unit}".strip()}
    rows = [
        [_("Alarm"), f"{alarm.get_kind_display()} · {alarm.get_level_display()}"],
        [_("Message"), alarm.message or "—"],
        [_("Value"), value or "—"],
        [_("Started"), _time(alarm.started_at)],
        [_("Condition cleared"), _time(alarm.ended_at)],
        [_("Closed"), _time(alarm.closed_at)],
        [_("Finding"), alarm.get_finding_display() or "—"],
        [_("Region"), f"{alarm.region.name} ({alarm.region.code})"],
    ]
    if alarm.enterprise_id:
        rows.append([_("Enterprise"), f"{alarm.enterprise.name} ({alarm.enterprise.credit_code})"])
    if alarm.sensor_id:
        rows.append([_("Sensor"), f"{alarm.sensor.tag} {alarm.sensor.name}"])
    return rows


def _source_rows(alarm: Alarm) -> list[list]:
    source = alarm.hazard_source
    if source is None:
        return []
    grade = source.get_gb_grade_display() if source.gb_grade else _("not a major hazard source")
    return [
        [_("Hazard source"), f"{source.code} {source.name} ({source.get_kind_display()})"],
        [_("GB 18218 grade"), grade],
        [
            _("Responsible persons"),
            _("principal %(p)s, technical %(t)s, operational %(o)s")
            % {"p": source.principal_name, "t": source.technical_name, "o": source.operational_name},
        ],
    ]


def _what(record: AlarmHandling) -> str:
    """What a handling record says, in one cell."""
    data = record.payload or {}
    parts = []
    if record.step == AlarmHandling.Step.VERIFY:
        parts.append(_("finding: %(f)s") % {"f": Alarm.Finding(data["finding"]).label})
    elif record.step == AlarmHandling.Step.APPLY_PLAN:
        if data.get("plan"):
            parts.append(_("plan: %(plan)s") % {"plan": data["plan"]})
        parts += [f"· {m}" for m in data.get("measures", [])]
    elif record.step == AlarmHandling.Step.ESCALATE:
        parts.append(
            _("“%(step)s” overdue (due %(deadline)s): told %(region)s")
            % {
                "step": step_label(record.overdue_step),
                "deadline": _time(dt.datetime.fromisoformat(data["deadline"])),
                "region": record.region.name if record.region else "—",
            }
        )
    elif record.step == AlarmHandling.Step.RAISED:
        parts.append(_("announced to %(n)d people") % {"n": len(data.get("notified", []))})
    elif record.step == AlarmHandling.Step.REPORT:
        parts.append(_("report below"))
    if data.get("late"):
        parts.append(_("(late: due %(deadline)s)") % {"deadline": _time(dt.datetime.fromisoformat(data["deadline"]))})
    if record.comment:
        parts.append(record.comment)
    return "\n".join(parts)


def alarm_report_pdf(alarm: Alarm, now: dt.datetime | None = None) -> bytes:
    """The PDF report of ``alarm`` (meant for a closed alarm) as bytes."""
    now = now or timezone.now()
    alarm = Alarm.objects.select_related("region", "enterprise", "hazard_source", "sensor").get(pk=alarm.pk)
    records = list(alarm.handling.select_related("region").order_by("time", "id"))
    report = next((r for r in records if r.step == AlarmHandling.Step.REPORT), None)
    width = A4[0] - 36 * mm
    story: list[Flowable] = [_p(_("Alarm handling report"), TITLE)]
    story.append(_p(_("Alarm no. %(id)s · generated %(time)s by hazmap") % {"id": alarm.pk, "time": _time(now)}, SMALL))
    story.append(_p(_("The alarm"), HEADING))
    story.append(_table(_alarm_rows(alarm) + _source_rows(alarm), [0.25 * width, 0.75 * width]))
    story.append(_p(_("Handling"), HEADING))
    rows = [[_("Time"), _("Step"), _("By"), _("What")]]
    for record in records:
        label = step_label(record.step) if record.step != AlarmHandling.Step.ESCALATE else record.get_step_display()
        rows.append([_time(record.time), label, record.actor_name or "—", _what(record)])
    story.append(_table(rows, [0.2 * width, 0.14 * width, 0.16 * width, 0.5 * width], header=True))
    story.append(_p(_("Report"), HEADING))
    if report is None:
        story.append(_p(_("No report has been written.")))
    else:
        data = report.payload
        story.append(
            _p(_("Written by %(actor)s, %(time)s.") % {"actor": report.actor_name, "time": _time(report.time)}, SMALL)
        )
        story.append(Spacer(0, 2 * mm))
        story.append(_p(data.get("text", "")))
        for title, key in ((_("Cause"), "cause"), (_("Corrective measures"), "corrective")):
            if data.get(key):
                story.append(_p(title, HEADING))
                story.append(_p(data[key]))
    output = io.BytesIO()
    document = SimpleDocTemplate(
        output,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_("Alarm handling report") + f" {alarm.pk}",
        author="hazmap",
        invariant=True,
    )
    document.build(story)
    return output.getvalue()
