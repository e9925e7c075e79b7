"""My API tokens (`/account/tokens/`): a signed-in user with a role lists, makes and
revokes their own tokens. The key of a new token is shown on the answer to the POST that
made it, once; it is stored nowhere (`mopsync.tokens`), so the page cannot show it again."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from mopsync import tokens
from mopsync.errors import DomainError
from mopsync.view_guards import reader, refusal_text


@reader
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    new_token = new_key = None
    status = 200
    if request.method == "POST":
        try:
            new_token, new_key = tokens.token_create(user=request.user, name=request.POST.get("name", ""))
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
            status = 400
    response = render(
        request,
        "account/tokens.html",
        {
            "tokens": list(tokens.tokens_of(request.user)),
            "new_token": new_token,
            "new_key": new_key,
            "default_name": tokens.DEFAULT_NAME,
            "max_length": tokens.NAME_MAX_LENGTH,
            "days": tokens.lifetime().days,
        },
        status=status,
    )
    add_never_cache_headers(response)  # the key is in this page once: never kept by a cache
    return response


@reader
@require_POST
def revoke_api_token(request, pk: int):
    if tokens.token_revoke(user=request.user, token_id=pk):
        messages.success(request, "Token revoked: clients using it now get 401.")
    else:
        messages.error(request, "No such token of yours, or it is already revoked.")
    return redirect("account-tokens")
