/** The model library's channels: list, rename, delete, duplicate, training log, and import of an uploaded folder. */
import type { Handlers } from '@shared/ipc/dispatch';
import { StudioError } from '@shared/ipc/result';
import type { ModelStore } from './ports';
import type { UploadStore } from './uploads';

type ModelHandlers = Pick<Handlers, 'listModels' | 'renameModel' | 'deleteModel' | 'duplicateModel' | 'trainingLog' | 'stageFile' | 'importModel'>;

export function setupModels({ models, uploads }: { models: ModelStore | undefined; uploads: UploadStore }): ModelHandlers {
  const needModels = (): ModelStore => {
    if (!models) throw new StudioError('unsupported', 'the model library is not available in this build');
    return models;
  };
  return {
    listModels: async () => (models ? models.list() : []),
    renameModel: ({ modelId, to }) => needModels().rename(modelId, to),
    deleteModel: async ({ modelId }) => {
      await needModels().delete(modelId);
      return {};
    },
    duplicateModel: ({ modelId, to }) => needModels().duplicate(modelId, to),
    trainingLog: ({ modelId }) => needModels().trainingLog(modelId),
    stageFile: async ({ uploadId, path: relative, base64, append }) => ({ bytes: await uploads.stage(uploadId, relative, base64, append) }),
    importModel: async ({ uploadId, name }) => {
      const store = needModels();
      try {
        return await store.import(await uploads.modelFolder(uploadId), name);
      } finally {
        await uploads.discard(uploadId);
      }
    },
  };
}
