"""One member at the desk: status, actions (points, treatment, rewards, plan, card), history, consents.

Every action ends in a sentence on the status line ("+42 points, 1,242 in total") and, for ledger
entries, an Undo button that works for one minute (a reversing entry, never an edit).
"""
from __future__ import annotations

import flet as ft

from loyalty.services import (award_purchase, cancel_plan, card_pdf, consents, current_program,
                              join_plan, member_status, plan_status, qr_png, record_treatment, redeem,
                              refund, reissue_card, reward_options, undo, update_profile, use_benefit)
from loyalty.services import desk
from staff_app import downloads
from staff_app.ui import Choice, Ctx, card, euros_to_cents, heading, text_field


def build(ctx: Ctx, member_id: str) -> ft.Control:
    status = ctx.attempt(member_status, member_id)
    if status is None:
        return ft.Column([back(ctx)])
    page = MemberPage(ctx, member_id)
    return page.view()


def back(ctx: Ctx) -> ft.Control:
    return ft.TextButton(ctx.t("member.back"), icon=ft.Icons.ARROW_BACK, on_click=lambda e: ctx.show("desk"))


class MemberPage:
    def __init__(self, ctx: Ctx, member_id: str):
        self.ctx = ctx
        self.member_id = member_id
        self.program = current_program()
        self.status = member_status(member_id)
        self.card_slot = ft.Column(spacing=8)

    # --- after an action ---------------------------------------------------------------
    def done(self, text: str, entry_id: str | None = None) -> None:
        ctx = self.ctx
        ctx.ok(text)
        if entry_id:
            ctx.undo_slot.controls = [ft.OutlinedButton(ctx.t("member.undo"), icon=ft.Icons.UNDO,
                                                        on_click=lambda e: self.undo(entry_id))]
        self.reload()

    def reload(self) -> None:
        slot = list(self.ctx.undo_slot.controls)
        self.ctx.show("member", self.member_id)
        self.ctx.undo_slot.controls = slot

    def undo(self, entry_id: str) -> None:
        result = self.ctx.attempt(undo, entry_id, self.ctx.actor)
        if result is not None:
            self.ctx.ok(self.ctx.t("member.undone", points=self.signed(result.points),
                                   balance=self.ctx.num(result.balance)))
            self.reload()

    def signed(self, points: int) -> str:
        return ("+" if points > 0 else "") + self.ctx.num(points)

    # --- layout ------------------------------------------------------------------------
    def view(self) -> ft.Control:
        left = ft.Column([self.award_box(), self.treatment_box(), self.redeem_box(), self.plan_box(),
                          self.card_box()], spacing=12, scroll=ft.ScrollMode.AUTO, expand=1,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        right = ft.Column([self.recall_box(), self.note_box(), self.history_box(), self.consent_box()],
                          spacing=12, scroll=ft.ScrollMode.AUTO, expand=1,
                          horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        return ft.Column([back(self.ctx), self.header(),
                          ft.Row([left, right], expand=True, spacing=16,
                                 vertical_alignment=ft.CrossAxisAlignment.START)],
                         spacing=8, expand=True)

    def header(self) -> ft.Control:
        ctx, s = self.ctx, self.status
        facts = [
            ctx.t("member.points", points=ctx.num(s.points)),
            ctx.t("member.stamps", on=s.stamps_on_card, per=s.stamps_per_card),
            ctx.t("member.tier", tier=ctx.name(s.tier_name)),
        ]
        if s.next_tier_name:
            facts.append(ctx.t("member.next_tier", points=ctx.num(s.points_to_next_tier),
                               tier=ctx.name(s.next_tier_name)))
        ready = (ctx.t("member.rewards_ready", rewards=", ".join(ctx.reward_name(c) for c in s.rewards_ready))
                 if s.rewards_ready else ctx.t("member.no_reward_ready"))
        extra = []
        if s.flagged:
            extra.append(ft.Text(ctx.t("member.flagged"), color="#b71c1c", weight=ft.FontWeight.BOLD))
        return ft.Container(ft.Column([
            ft.Row([heading(f"{s.first_name} {s.last_name or ''}".strip(), 26),
                    ft.Text("   ".join(facts), size=17)], wrap=True, spacing=20),
            ft.Text(ready, size=16, color="#8a4b00" if s.rewards_ready else None), *extra,
        ], spacing=4), padding=12, border_radius=12, bgcolor="#e8eff1")

    def items(self, only=None) -> list[tuple[str, str]]:
        return [(code, f"{self.ctx.name(item.name)} ({self.ctx.raw('category.' + item.category)})")
                for code, item in self.program.catalogue.items() if only is None or only(item)]

    # --- actions -----------------------------------------------------------------------
    def award_box(self) -> ft.Control:
        ctx = self.ctx
        amount = text_field(ctx, label=ctx.t("member.amount"), width=160, suffix="€")
        item = Choice(ctx.t("member.item_optional"), self.items())

        def award(e) -> None:
            cents = euros_to_cents(amount.value or "")
            if cents is None:
                ctx.fail(ctx.t("member.amount_unreadable"))
                return
            result = ctx.attempt(award_purchase, self.member_id, cents, ctx.actor, item_code=item.value or None)
            if result:
                self.done(ctx.t("member.awarded", points=self.signed(result.points),
                                balance=ctx.num(result.balance)), result.entry_id)

        return card(heading(ctx.t("member.award_title"), 18), amount, item,
                    ft.Button(ctx.t("member.award"), icon=ft.Icons.ADD, on_click=award))

    def treatment_box(self) -> ft.Control:
        ctx = self.ctx
        item = Choice(ctx.t("member.treatment"), self.items(lambda i: i.recall_days is not None
                                                            or i.category in ("physician_service", "cosmetic")))

        def save(e) -> None:
            if not item.value:
                ctx.fail(ctx.t("member.choose_treatment"))
                return
            result = ctx.attempt(record_treatment, self.member_id, item.value, ctx.actor)
            if result is None:
                return
            parts = [ctx.t("member.treatment_done", item=ctx.item_name(item.value))]
            if result.recall_due:
                parts.append(ctx.t("member.recall_set", date=ctx.date(result.recall_due)))
            if result.points:
                parts.append(ctx.t("member.points_added", points=self.signed(result.points)))
            elif result.note:
                parts.append(ctx.t("member.no_points_treatment"))
            self.done(" ".join(parts), result.entry_id)

        return card(heading(ctx.t("member.treatment_title"), 18), item,
                    ft.Button(ctx.t("member.record_treatment"), icon=ft.Icons.MEDICAL_SERVICES, on_click=save))

    def redeem_box(self) -> ft.Control:
        ctx = self.ctx
        rows: list[ft.Control] = []
        for option in reward_options(self.member_id):
            if not option.affordable:
                continue
            reward = self.program.rewards[option.code]
            cost = (ctx.t("member.cost_points", points=ctx.num(option.cost_points)) if option.cost_points is not None
                    else ctx.t("member.cost_stamps", stamps=option.cost_stamps))
            points = text_field(ctx, label=ctx.t("member.points_to_use"), width=150,
                                  value=str(min(option.cost_points, self.status.points))) if option.partial else None
            target = None
            if reward.kind == "discount":
                target = Choice(ctx.t("member.for_item"), self.items())
            rows.append(ft.Container(ft.Column([
                ft.Row([ft.Text(ctx.name(option.name), size=16, weight=ft.FontWeight.BOLD, expand=True),
                        ft.Text(f"{ctx.raw('kind.' + option.kind)} · {cost}")]),
                *[c for c in (points, target) if c is not None],
                ft.Row([ft.Button(ctx.t("member.redeem_named", reward=ctx.name(option.name)), icon=ft.Icons.REDEEM,
                                  on_click=lambda e, o=option, p=points, t=target: self.redeem(o, p, t))]),
            ], spacing=6), bgcolor="white", padding=10, border_radius=8))
        if not rows:
            rows = [ft.Text(ctx.t("member.no_rewards"), italic=True)]
        return card(heading(ctx.t("member.redeem_title"), 18), *rows)

    def redeem(self, option, points_field, target) -> None:
        ctx = self.ctx
        points = None
        if points_field is not None:
            text = (points_field.value or "").strip()
            if not text.lstrip("-").isdigit():
                ctx.fail(ctx.t("member.points_unreadable"))
                return
            points = int(text)
        result = ctx.attempt(redeem, self.member_id, option.code, ctx.actor, points=points,
                             item_code=(target.value or None) if target is not None else None)
        if result is None:
            return
        spent = (ctx.t("member.spent_points", points=ctx.num(result.points)) if result.points
                 else ctx.t("member.spent_stamps", stamps=result.stamps))
        value = ctx.t("member.worth", value=ctx.money(result.value_cents)) if result.value_cents else ""
        self.done(ctx.t("member.redeemed", reward=ctx.name(option.name), spent=spent, value=value,
                        balance=ctx.num(result.balance)), result.entry_id)

    def plan_box(self) -> ft.Control:
        ctx = self.ctx
        plan = plan_status(self.member_id)
        if plan is None:
            choice = Choice(ctx.t("member.plan"), [(p.code, f"{ctx.name(p.name)} · {ctx.money(p.price_cents)}")
                                                   for p in self.program.plans.values()])

            def join(e) -> None:
                if not choice.value:
                    ctx.fail(ctx.t("member.choose_plan"))
                    return
                result = ctx.attempt(join_plan, self.member_id, choice.value, ctx.actor)
                if result:
                    self.done(ctx.t("member.plan_joined", plan=ctx.name(self.program.plans[result.plan_code].name),
                                    date=ctx.date(result.renews_on)))

            return card(heading(ctx.t("member.plan_title"), 18), ft.Text(ctx.t("member.no_plan")),
                        choice, ft.Button(ctx.t("member.join_plan"), on_click=join))
        name = ctx.name(self.program.plans[plan.plan_code].name)

        def use(code: str) -> None:
            result = ctx.attempt(use_benefit, self.member_id, code, ctx.actor)
            if result:
                self.done(ctx.t("member.benefit_used", benefit=self.benefit_name(code),
                                left=result.benefits_left[code]))

        def cancel(e) -> None:
            if ctx.run(cancel_plan, self.member_id, ctx.actor):
                self.done(ctx.t("member.plan_cancelled", plan=name))

        benefits = [ft.Row([ft.Text(ctx.t("member.benefit_left", benefit=self.benefit_name(code), left=left),
                                    expand=True),
                            ft.Button(ctx.t("member.use_named", benefit=self.benefit_name(code)), disabled=left <= 0,
                                      on_click=lambda e, c=code: use(c))])
                    for code, left in plan.benefits_left.items()]
        return card(heading(ctx.t("member.plan_title"), 18),
                    ft.Text(ctx.t("member.plan_active", plan=name, date=ctx.date(plan.renews_on)), size=16),
                    *benefits, ft.TextButton(ctx.t("member.cancel_plan"), icon=ft.Icons.CANCEL, on_click=cancel))

    def benefit_name(self, code: str) -> str:
        if code in self.program.catalogue:
            return self.ctx.item_name(code)
        return self.ctx.reward_name(code)

    def card_box(self) -> ft.Control:
        ctx = self.ctx

        def reissue(e) -> None:
            token = ctx.attempt(reissue_card, self.member_id, ctx.actor)
            if token is None:
                return
            pdf = downloads.offer(card_pdf(token), "card.pdf", "application/pdf")
            self.card_slot.controls = [
                ft.Image(src=qr_png(token, box_size=6), width=180, height=180,
                         semantics_label=ctx.t("member.new_card_qr")),
                ft.Row([ft.Button(ctx.t("member.print_card"), icon=ft.Icons.PRINT, url=pdf),
                        ft.Text(pdf, size=12, color="#555555")]),
            ]
            ctx.ok(ctx.t("member.card_reissued"))

        return card(heading(ctx.t("member.card_title"), 18), ft.Text(ctx.t("member.card_hint"), size=14),
                    ft.Button(ctx.t("member.reissue"), icon=ft.Icons.QR_CODE, on_click=reissue), self.card_slot)

    # --- information -------------------------------------------------------------------
    def recall_box(self) -> ft.Control:
        ctx = self.ctx
        recalls = desk.member_recalls(self.member_id)
        lines = [ft.Text(ctx.t("member.recall_line", item=ctx.item_name(r.item_code), date=ctx.date(r.recall_due),
                               done=ctx.date(r.performed_at)), size=15) for r in recalls]
        return card(heading(ctx.t("member.recall_title"), 18),
                    *(lines or [ft.Text(ctx.t("member.no_recall"), italic=True)]))

    def note_box(self) -> ft.Control:
        ctx = self.ctx
        note = text_field(ctx, label=ctx.t("member.note"), value=desk.member_profile(self.member_id).note or "",
                            multiline=True, min_lines=2, max_lines=4)

        def save(e) -> None:
            if ctx.attempt(update_profile, self.member_id, ctx.actor, note=(note.value or "").strip() or None):
                ctx.ok(ctx.t("member.note_saved"))

        return card(heading(ctx.t("member.note_title"), 18), note,
                    ft.Button(ctx.t("member.save_note"), icon=ft.Icons.SAVE, on_click=save))

    def history_box(self) -> ft.Control:
        ctx = self.ctx
        rows = []
        for h in desk.member_history(self.member_id):
            what = ctx.t(f"kind.{h.kind}")
            detail = " ".join(x for x in (ctx.item_name(h.item_code), ctx.reward_name(h.reward_code)) if x)
            change = []
            if h.points:
                change.append(ctx.t("member.points_short", points=self.signed(h.points)))
            if h.stamps:
                change.append(ctx.t("member.stamps_short", stamps=self.signed(h.stamps)))
            if h.amount_cents and h.kind in ("purchase", "treatment", "refund"):
                change.append(ctx.money(h.amount_cents))
            cells = [ft.Text(ctx.when(h.at), width=130, size=13), ft.Text(f"{what} {detail}".strip(), expand=True),
                     ft.Text(", ".join(change), size=14)]
            if h.refundable:
                cells.append(ft.TextButton(ctx.t("member.refund"), tooltip=ctx.t("member.refund_named", when=ctx.when(h.at)),
                                           on_click=lambda e, entry=h.entry_id: self.refund(entry)))
            rows.append(ft.Row(cells, spacing=8))
        return card(heading(ctx.t("member.history_title"), 18),
                    *(rows or [ft.Text(ctx.t("member.no_history"), italic=True)]))

    def refund(self, entry_id: str) -> None:
        result = self.ctx.attempt(refund, entry_id, self.ctx.actor)
        if result:
            self.done(self.ctx.t("member.refunded", points=self.signed(result.points),
                                 balance=self.ctx.num(result.balance)), result.entry_id)

    def consent_box(self) -> ft.Control:
        ctx = self.ctx
        state = consents(self.member_id)
        lines = [ft.Text(ctx.t(f"consent.{p}") + ": " + ctx.t("yes" if v else "no"), size=15)
                 for p, v in state.items()]
        history = [ft.Text(ctx.t("consent.event", what=ctx.t(f"consent.{c.purpose}"),
                                 how=ctx.t("consent.granted" if c.granted else "consent.withdrawn"),
                                 when=ctx.when(c.at), source=c.source), size=13, color="#555555")
                   for c in desk.consent_history(self.member_id)]
        return card(heading(ctx.t("member.consent_title"), 18), *lines, *history)
