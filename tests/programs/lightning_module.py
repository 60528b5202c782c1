import warnings

import torch
import pytorch_lightning as pl
from plait.models import Sequential
from plait.layers import Dense, Dropout, BatchNormalization

warnings.filterwarnings("ignore")


class Lit(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.model = Sequential(
            [Dense(8, input_shape=(4,)), BatchNormalization(), Dropout(0.5), Dense(1)]
        )
        self.dropout_active = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        out = self.model(x)
        self.dropout_active.append(self.model.layers[2].training)
        return torch.nn.functional.mse_loss(out, y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


data = torch.utils.data.TensorDataset(torch.randn(32, 4), torch.randn(32, 1))
lit = Lit()
trainer = pl.Trainer(
    max_epochs=1,
    logger=False,
    enable_checkpointing=False,
    enable_progress_bar=False,
    enable_model_summary=False,
    accelerator="cpu",
)
trainer.fit(lit, torch.utils.data.DataLoader(data, batch_size=8))
assert all(lit.dropout_active)
assert not torch.allclose(lit.model.layers[1].moving_mean, torch.zeros(8))
