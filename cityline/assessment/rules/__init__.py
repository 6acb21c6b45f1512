"""Assessment rules, one module per component (see ``cityline.assessment.registry.RULE_MODULES``)."""
