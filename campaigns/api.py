"""REST endpoints for campaigns and their workflow (translation only: every change
goes through `campaigns.services`, every read through `campaigns.selectors`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.generics import GenericAPIView, ListAPIView, get_object_or_404
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response

from campaigns import api_json, filters, selectors, services, workflow
from campaigns import serializers as s
from campaigns.models import AuditEvent, Campaign, Delegation, Notification, PromoWindow
from campaigns.verdicts import check_json
from mopsync.api import ANY_SEGMENT, CONFLICT, ERROR, FIELD_ERRORS, HasRole, whole_row, writers
from mopsync.errors import NotPermitted
from mopsync.pagination import CountingPagination
from mopsync.roles import MARKETING, OPS_LEAD, user_roles

ERRORS = {
    400: OpenApiResponse(FIELD_ERRORS, description="Invalid input: messages per field; nothing changed."),
    403: OpenApiResponse(ERROR, description="Your role or ownership does not allow this."),
    404: OpenApiResponse(ERROR, description="No such campaign."),
    409: OpenApiResponse(CONFLICT, description="A workflow rule refused (illegal transition, capacity taken)."),
}


# A campaign's actions and sub-lists (events, sign-offs) act on that campaign: the list's
# filters (?status=, ?owner=, ...) do not apply to them.
NO_FILTERS: list = []


class CampaignPermission(HasRole):
    """Who may attempt each campaign action (`campaigns.workflow`), asked before the input is
    read or the state is checked, so that a refusal for role or ownership is always a 403
    (never a 400 or 409 that tells someone who may not act what else is wrong). The
    services ask the same table again (they are the authority for every door); this only
    orders the answers."""

    # The viewset's actions that change a campaign → the workflow's action.
    ACTIONS = {
        "create": "create", "partial_update": "edit", "update": "edit", "submit": "submit", "sign_offs": "sign_off",
        "clone": "create", "go_live": "go_live", "pause": "pause", "resume": "resume", "cancel": "cancel",
        "scale_up": "scale_up", "resubmit_dropped_lines": "edit",
    }  # fmt: skip
    # Asked before the campaign is read (a 403 rather than a 404): planning has no campaign
    # yet, and segregation of duties refuses marketing whatever the campaign.
    BEFORE_THE_CAMPAIGN = {"create", "sign_off"}

    def _action(self, request, view) -> str | None:
        if request.method in SAFE_METHODS:
            return None
        return self.ACTIONS.get(view.action)

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        action = self._action(request, view)
        if action in self.BEFORE_THE_CAMPAIGN:
            self._ensure_permitted(request.user, None, action)
        return True

    def has_object_permission(self, request, view, obj):
        action = self._action(request, view)
        if action is not None:
            self._ensure_permitted(request.user, obj, action)
        return True

    @staticmethod
    def _ensure_permitted(user, campaign, action: str) -> None:
        """The table's refusal as DRF's own PermissionDenied (same body: {detail, code}):
        the browsable API asks permissions whether to offer a form, and only a DRF
        exception there means "no form" rather than a 500."""
        try:
            workflow.ensure_permitted(user, campaign, action)
        except NotPermitted as refusal:
            raise PermissionDenied(refusal.message, code=refusal.code) from refusal


PAGE_NOT_FOUND = OpenApiResponse(ERROR, description="No such page.")


def action_schema(summary: str, request=None, response=s.CampaignSerializer, code=200):
    return extend_schema(summary=summary, request=request, responses={code: response, **ERRORS})


@extend_schema_view(
    list=extend_schema(summary="List campaigns"),
    retrieve=extend_schema(summary="A campaign"),
    create=extend_schema(summary="Plan a campaign (marketing)", request=s.CampaignInputSerializer,
                         responses={201: s.CampaignSerializer, **ERRORS}),
    partial_update=extend_schema(summary="Edit a plan (owner; rule 3 applies)", request=s.CampaignInputSerializer,
                                 responses={200: s.CampaignSerializer, **ERRORS}),
)  # fmt: skip
class CampaignViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = s.CampaignSerializer
    permission_classes = [CampaignPermission]
    filterset_class = filters.CampaignFilter
    filter_backends = [filters.FilterBackend, OrderingFilter]
    ordering_fields = ["starts_on", "ends_on", "created_at", "orders_per_day", "name", "signoff_due_at"]
    ordering = ["starts_on", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = ANY_SEGMENT

    def get_queryset(self):
        # Every role reads every campaign (DESIGN.md); users without a role are refused by HasRole.
        if self.action in ("list", "retrieve"):
            return Campaign.objects.all()  # read as rows and rendered by campaigns.api_json
        return selectors.campaign_list()  # the actions hand the instance (lines prefetched) to services

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(api_json.campaign_rows(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(api_json.campaigns_json(page))

    def retrieve(self, request, *args, **kwargs):
        return self._out(self.get_object())

    def _input(self, *, partial: bool) -> dict:
        serializer = s.CampaignInputSerializer(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for key in ("skus", "regions"):
            if key in data:
                data[key] = [dict(line) for line in data[key]]
        return data

    def _out(self, campaign, code=status.HTTP_200_OK) -> Response:
        """The campaign as it is now in the database (what the service wrote, fully)."""
        return Response(api_json.campaign_json(campaign.pk), status=code)

    def create(self, request, *args, **kwargs):
        campaign = services.campaign_create(actor=request.user, data=self._input(partial=False))
        return self._out(campaign, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        campaign = self.get_object()  # first: who may edit is answered before what was sent
        return self._out(
            services.campaign_update(campaign=campaign, actor=request.user, data=self._input(partial=True))
        )

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        summary="Run the capacity check",
        responses={200: s.CapacityCheckSerializer, 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, filter_backends=NO_FILTERS, methods=["get"], url_path="capacity-check")
    def capacity_check(self, request, pk=None):
        campaign = self.get_object()
        result = selectors.campaign_capacity_check(campaign)
        return Response(s.CapacityCheckSerializer(check_json(result, campaign)).data)

    @action_schema("Submit for ops sign-off (owner)", request=None)
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"])
    def submit(self, request, pk=None):
        return self._out(services.campaign_submit(campaign=self.get_object(), actor=request.user))

    @extend_schema(
        methods=["get"], summary="Sign-offs of this campaign", responses={200: s.SignOffDetailSerializer(many=True)}
    )
    @extend_schema(
        methods=["post"],
        summary="Sign off a dimension (ops; for an approver away, on their behalf)",
        request=s.SignOffInputSerializer,
        responses={201: s.SignOffDetailSerializer, **ERRORS},
    )
    @action(detail=True, filter_backends=NO_FILTERS, methods=["get", "post"], url_path="sign-offs")
    def sign_offs(self, request, pk=None):
        campaign = self.get_object()
        if request.method == "GET":
            signoffs = (
                campaign.signoffs.select_related("actor", "on_behalf_of")
                .prefetch_related("lines__sku")
                .order_by("created_at", "id")
            )
            page = self.paginate_queryset(signoffs)
            return self.get_paginated_response(s.SignOffDetailSerializer(page, many=True).data)
        serializer = s.SignOffInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        signoff = services.campaign_sign_off(campaign=campaign, actor=request.user, **serializer.validated_data)
        return Response(s.SignOffDetailSerializer(signoff).data, status=status.HTTP_201_CREATED)

    @action_schema("Clone as a new draft (whoever may plan)", request=None, code=201)
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"])
    def clone(self, request, pk=None):
        clone = services.campaign_clone(actor=request.user, campaign=self.get_object())
        return self._out(clone, status.HTTP_201_CREATED)

    @action_schema("Go live (on or after the start date; both sign-offs needed)", request=None)
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"], url_path="go-live")
    def go_live(self, request, pk=None):
        return self._out(services.campaign_go_live(campaign=self.get_object(), actor=request.user))

    @action_schema("Pause a live campaign", request=s.CommentInputSerializer)
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"])
    def pause(self, request, pk=None):
        campaign = self.get_object()
        comment = self._comment(request)
        return self._out(services.campaign_pause(campaign=campaign, actor=request.user, reason=comment))

    @action_schema("Resume a paused campaign", request=None)
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"])
    def resume(self, request, pk=None):
        return self._out(services.campaign_resume(campaign=self.get_object(), actor=request.user))

    @action_schema("Cancel (releases reservations)", request=s.CommentInputSerializer)
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"])
    def cancel(self, request, pk=None):
        campaign = self.get_object()
        comment = self._comment(request)
        return self._out(services.campaign_cancel(campaign=campaign, actor=request.user, comment=comment))

    @action_schema(
        "Ask again for the SKU lines inventory refused or capped (owner; voids inventory only)",
        request=s.CommentInputSerializer,
    )
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"], url_path="resubmit-dropped-lines")
    def resubmit_dropped_lines(self, request, pk=None):
        campaign = self.get_object()
        comment = self._comment(request)
        return self._out(
            services.campaign_resubmit_dropped_lines(campaign=campaign, actor=request.user, comment=comment)
        )

    @action_schema("Scale up a live campaign (ops approve the delta)", request=s.ScaleUpInputSerializer)
    @action(detail=True, filter_backends=NO_FILTERS, methods=["post"], url_path="scale-up")
    def scale_up(self, request, pk=None):
        campaign = self.get_object()
        serializer = s.ScaleUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._out(services.campaign_scale_up(campaign=campaign, actor=request.user, **serializer.validated_data))

    @extend_schema(summary="Audit trail", responses={200: s.AuditEventSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, filter_backends=NO_FILTERS, methods=["get"])
    def events(self, request, pk=None):
        campaign = self.get_object()
        page = self.paginate_queryset(AuditEvent.objects.filter(campaign=campaign).select_related("actor"))
        return self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)

    @extend_schema(
        methods=["get"], summary="The campaign's discussion", responses={200: s.CommentSerializer(many=True)}
    )
    @extend_schema(
        methods=["post"],
        summary="Comment on the campaign (@username notifies them; the plan is unchanged)",
        request=s.CommentAddSerializer,
        responses={201: s.CommentSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=True, filter_backends=NO_FILTERS, methods=["get", "post"])
    def comments(self, request, pk=None):
        campaign = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(campaign.comments.select_related("author").order_by("created_at", "id"))
            return self.get_paginated_response(s.CommentSerializer(page, many=True).data)
        body = request.data.get("body") if hasattr(request.data, "get") else None  # the service says what is wrong
        comment = services.comment_add(actor=request.user, campaign=campaign, body=body)
        return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    def _comment(self, request) -> str:
        serializer = s.CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["comment"]


class ApprovalQueueView(ListAPIView):
    permission_classes = [HasRole]
    serializer_class = s.QueueEntrySerializer
    pagination_class = CountingPagination  # a queue is short: its page and count in one query
    queryset = Campaign.objects.none()  # the entries come from selectors.approval_queue
    filter_backends = []

    @extend_schema(
        summary="What you can sign off, most urgent first, with each plan's capacity check",
        responses={200: s.QueueEntrySerializer(many=True), 404: PAGE_NOT_FOUND},
    )
    def get(self, request, *args, **kwargs):
        # Rows, not model instances: the page's campaigns are read as the list reads them
        # (campaigns.api_json), and their checks are kept between requests.
        queue = selectors.approval_queue(request.user, campaigns=Campaign.objects.all())
        page = self.paginate_queryset(api_json.queue_rows(queue))
        lines = selectors.campaign_lines([row["id"] for row in page])  # for the JSON and the checks
        results = selectors.capacity_checks_of_rows(page, lines, cached=True)
        # Whom the user covers for today (delegation): asked only when they do (mopsync.auth).
        away = selectors.away_covered_by(request.user)
        return self.get_paginated_response(api_json.queue_json(page, results, lines, user=request.user, away=away))


class CalendarQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    kind = serializers.MultipleChoiceField(choices=selectors.CALENDAR_KINDS, required=False)
    region = serializers.CharField(max_length=40, required=False)
    sku = serializers.CharField(max_length=40, required=False)
    channel = serializers.CharField(max_length=20, required=False)
    status = serializers.CharField(max_length=20, required=False)

    def validate(self, attrs):
        today = timezone.localdate()
        attrs.setdefault("start", today.replace(day=1))
        # Default to six weeks, without running past the last representable date (9999-12-31).
        attrs.setdefault("end", min(attrs["start"], dt.date.max - dt.timedelta(days=41)) + dt.timedelta(days=41))
        if attrs["end"] < attrs["start"]:
            raise ValidationError({"end": ["Must be on or after start."]})
        if (attrs["end"] - attrs["start"]).days > 366:
            raise ValidationError({"end": ["At most 366 days at a time."]})
        return attrs


class CalendarView(ListAPIView):
    permission_classes = [HasRole]
    serializer_class = s.CalendarEntrySerializer
    queryset = Campaign.objects.none()  # the entries come from selectors.calendar_rows
    filter_backends = []

    @extend_schema(
        summary="Calendar entries of every kind in a date range",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: start of this month)"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (default: start + 41 days)"),
            OpenApiParameter("kind", str, many=True, enum=selectors.CALENDAR_KINDS),
            OpenApiParameter("region", str),
            OpenApiParameter("sku", str),
            OpenApiParameter("channel", str),
            OpenApiParameter("status", str),
        ],
        responses={200: s.CalendarEntrySerializer(many=True), 400: ERRORS[400], 404: PAGE_NOT_FOUND},
    )
    def get(self, request, *args, **kwargs):
        query = CalendarQuerySerializer(
            data={**request.query_params.dict(), "kind": request.query_params.getlist("kind")}
        )
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        params["kinds"] = tuple(params.pop("kind", None) or selectors.CALENDAR_KINDS)
        # Counted and paged in SQL: a month of a large brand holds thousands of entries.
        page = selectors.calendar_entries_of(self.paginate_queryset(selectors.calendar_rows(**params)))
        return self.get_paginated_response(s.CalendarEntrySerializer([e.__dict__ for e in page], many=True).data)


class PromoWindowViewSet(viewsets.ModelViewSet):
    lookup_value_regex = ANY_SEGMENT
    queryset = PromoWindow.objects.select_related("created_by")
    serializer_class = s.PromoWindowSerializer
    permission_classes = [writers(MARKETING, OPS_LEAD)]
    filterset_class = filters.PromoWindowFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering = ["starts_on", "id"]

    def perform_create(self, serializer):
        serializer.instance = services.promo_window_save(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.promo_window_save(
            actor=self.request.user, window=serializer.instance, **whole_row(serializer)
        )

    def perform_destroy(self, instance):
        services.promo_window_delete(actor=self.request.user, window=instance)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = ANY_SEGMENT
    serializer_class = s.NotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(recipient=self.request.user, in_app=True).order_by("-created_at", "-id")

    @extend_schema(summary="Mark as read", request=None, responses={200: s.NotificationSerializer, 404: ERRORS[404]})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = get_object_or_404(self.get_queryset(), pk=pk)
        note = services.notification_mark_read(actor=request.user, notification=note)
        return Response(s.NotificationSerializer(note).data)


@extend_schema_view(
    list=extend_schema(
        summary="Your delegations: when you are away (and to whom your sign-offs go), and whom you cover for",
        description="Those not ended yet, soonest first. `user` is the approver away, `delegate` who signs for them.",
    ),
    create=extend_schema(
        summary="Set an absence: from starts_on to ends_on your sign-offs go to delegate",
        description=(
            "Refused with 400 (field messages) for an unknown delegate, yourself, dates that are not "
            "`starts_on` ≤ `ends_on` from today on; 403 unless you are an ops approver; 409 when the delegate "
            "may not sign all you sign (`delegate_lacks_role`: your team's role or ops_lead; a lead only to a "
            "lead), when it overlaps another of your absences (`delegation_overlaps`), or would make a chain: "
            "the delegate is away themselves then (`delegate_away`) or you cover for someone then "
            "(`covering_for_others`)."
        ),
        request=s.DelegationInputSerializer,
        responses={201: s.DelegationSerializer, **ERRORS},
    ),
    destroy=extend_schema(
        summary="Clear one of your absences: your sign-offs come to you again",
        responses={204: None, 403: ERRORS[403], 404: OpenApiResponse(ERROR, description="No such delegation.")},
    ),
)
class DelegationViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """`/api/v1/me/delegations/`: an approver away (issue 17). Translation only:
    `services.delegation_set` and `delegation_clear` decide."""

    lookup_value_regex = ANY_SEGMENT
    serializer_class = s.DelegationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = NO_FILTERS

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delegation.objects.none()
        return selectors.delegations_of(self.request.user)

    def create(self, request):
        serializer = s.DelegationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delegation = services.delegation_set(actor=request.user, **serializer.validated_data)
        return Response(s.DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        key = str(pk)
        found = None
        if key.isdigit() and len(key) < 10:
            found = Delegation.objects.filter(pk=int(key), user=request.user).first()
        if found is None:
            raise NotFound("No such delegation of yours.")
        services.delegation_clear(actor=request.user, delegation=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = s.MeSerializer

    @extend_schema(summary="Who you are and your roles", responses={200: s.MeSerializer})
    def get(self, request):
        user = request.user
        return Response(
            {
                "username": user.get_username(),
                "email": user.email,
                "roles": sorted(user_roles(user)),
                "is_staff": user.is_staff,
            }
        )
