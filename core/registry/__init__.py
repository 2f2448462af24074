"""K — knowledge transfer: the Model Registry (model_registry), governance of aliases (gate, audit, approvers) and the
model card."""
