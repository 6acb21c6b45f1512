"""Public consultation pages. Being built (issue 8): the portal work replaces this module."""

from django.http import Http404


def consultations(request, city):
    raise Http404


def consultation(request, city, key):
    raise Http404
