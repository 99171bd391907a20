import mongoose from 'mongoose';

/** Drops a throwaway database a Mongo test made (only runs when MONGODB_URI is set). */
export async function dropMongoDatabase(uri: string, dbName: string): Promise<void> {
  const conn = await mongoose.createConnection(uri, { dbName }).asPromise();
  try {
    await conn.dropDatabase();
  } finally {
    await conn.close();
  }
}
