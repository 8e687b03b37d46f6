"""The front end's pages: the app at ``/`` and its views, sign-in and sign-out, the language switch; the dashboard's
figures and the import of vector plans (``web.plans_vector``)."""

from django.contrib.auth import views as auth
from django.urls import path
from django.views.i18n import set_language

from web import alarm_handling, export, inbox, plan_grid, plans, plans_vector, registry, risk, stats, views

urlpatterns = [
    path("", views.app, name="app"),
    path("inspector", views.app, name="inspector"),
    path("dashboard", views.app, name="dashboard"),
    path("planner", views.app, name="planner"),
    path("tasks", views.app, name="tasks-view"),
    path("login/", views.SignIn.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("app/stats", stats.stats, name="stats"),
    path("app/notifications", inbox.notifications, name="notifications"),
    path("app/notifications/read", inbox.read_all, name="notifications-read-all"),
    path("app/notifications/<int:pk>/read", inbox.read_one, name="notification-read"),
    path("app/audit", inbox.audit, name="audit"),
    path("app/registry/todo", registry.todo, name="registry-todo"),
    path("app/registry/stats", registry.stats, name="registry-stats"),
    path("app/registry/<int:pk>/history", registry.history, name="registry-history"),
    path("app/registry/<int:pk>/<str:name>", registry.step, name="registry-step"),
    path("app/export/geopackage", export.export_geopackage, name="export-geopackage"),
    path("app/plans/vector/uploads", plans_vector.upload, name="plans-vector-upload"),
    path("app/plans/vector/uploads/<str:token>/import", plans_vector.import_upload, name="plans-vector-import"),
    path("app/plans/vector/imports", plans_vector.imports, name="plans-vector-imports"),
    path("app/plans/vector/imports/<int:pk>", plans_vector.import_detail, name="plans-vector-import-detail"),
    path("app/plans/vector/imports/<int:pk>/undo", plans_vector.undo, name="plans-vector-undo"),
    path("app/alarms/todo", alarm_handling.todo, name="alarms-todo"),
    path("app/alarms/<int:pk>/handling", alarm_handling.timeline, name="alarm-handling"),
    path("app/alarms/<int:pk>/report.pdf", alarm_handling.report_pdf, name="alarm-report"),
    path("app/alarms/<int:pk>/<str:name>", alarm_handling.step, name="alarm-step"),
    path("app/tasks", alarm_handling.task_list, name="tasks"),
    path("app/tasks/<int:pk>", alarm_handling.task_detail, name="task"),
    path("app/tasks/<int:pk>/<str:name>", alarm_handling.task_step, name="task-step"),
    path("app/enterprises/<int:pk>/construction-grid", plan_grid.construction_grid, name="construction-grid"),
    path("app/plans", plans.plan_list, name="plans"),
    path("app/plans/<int:pk>", plans.plan_detail, name="plan"),
    path("app/plans/<int:pk>/control-points", plans.control_points, name="plan-control-points"),
    path("app/plans/<int:pk>/image.png", plans.plan_image, name="plan-image"),
    path("app/plans/<int:pk>/cog", plans.write_cog, name="plan-cog"),
    path("app/risk", risk.risk_list, name="risk"),
    path("app/risk/levels", risk.risk_levels, name="risk-levels"),
    path("app/risk/<int:pk>", risk.risk_detail, name="risk-detail"),
]
