"""An example asdbench loss plugin: softmax cross-entropy over scaled cosine logits."""
