"""Soglasie: a sales department's business processes on BPMN 2.0."""
