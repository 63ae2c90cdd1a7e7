from django.urls import path

from playbook.views import files, items, playbooks

urlpatterns = [
    path("", playbooks.playbook_list, name="playbook-list"),
    path("import/", files.playbook_import, name="playbook-import"),
    path("<int:pk>/", playbooks.playbook_detail, name="playbook-detail"),
    path("<int:pk>/export.<str:fmt>", files.playbook_export, name="playbook-export"),
    path("<int:pk>/new-draft/", playbooks.playbook_clone, name="playbook-clone"),
    path("<int:pk>/details/", playbooks.playbook_settings, name="playbook-settings"),
    path("<int:pk>/changes/", playbooks.playbook_diff, name="playbook-diff"),
    path("<int:pk>/publish/", playbooks.playbook_publish, name="playbook-publish"),
    path("<int:pk>/discard/", playbooks.playbook_discard, name="playbook-discard"),
    path("<int:pk>/retire/", playbooks.playbook_retire, name="playbook-retire"),
    path("<int:pk>/make-default/", playbooks.playbook_make_default, name="playbook-make-default"),
    path("<int:pk>/phases/new/", items.phase_create, name="playbook-phase-create"),
    path("<int:pk>/phases/<int:phase_pk>/edit/", items.phase_edit, name="playbook-phase-edit"),
    path(
        "<int:pk>/phases/<int:phase_pk>/delete/", items.phase_delete, name="playbook-phase-delete"
    ),
    path("<int:pk>/phases/<int:phase_pk>/move/", items.phase_move, name="playbook-phase-move"),
    path(
        "<int:pk>/phases/<int:phase_pk>/deliverables/new/",
        items.template_create,
        name="playbook-template-create",
    ),
    path(
        "<int:pk>/deliverables/<int:template_pk>/edit/",
        items.template_edit,
        name="playbook-template-edit",
    ),
    path(
        "<int:pk>/deliverables/<int:template_pk>/delete/",
        items.template_delete,
        name="playbook-template-delete",
    ),
    path(
        "<int:pk>/deliverables/<int:template_pk>/move/",
        items.template_move,
        name="playbook-template-move",
    ),
    path(
        "<int:pk>/phases/<int:phase_pk>/criteria/new/",
        items.criterion_create,
        name="playbook-criterion-create",
    ),
    path(
        "<int:pk>/criteria/<int:criterion_pk>/edit/",
        items.criterion_edit,
        name="playbook-criterion-edit",
    ),
    path(
        "<int:pk>/criteria/<int:criterion_pk>/delete/",
        items.criterion_delete,
        name="playbook-criterion-delete",
    ),
    path(
        "<int:pk>/criteria/<int:criterion_pk>/move/",
        items.criterion_move,
        name="playbook-criterion-move",
    ),
]
